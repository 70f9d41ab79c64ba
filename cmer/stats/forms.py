from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

YEARS_BACK = 5


def year_choices() -> list[tuple[str, str]]:
    """Completed calendar years only. Periods never overlap, so no filter can be subtracted from
    another; and a year is published once it is over, because a running year's figures, read
    month after month, would give each new month's count by difference of the totals."""
    last = timezone.localdate().year - 1
    return [(str(y), str(y)) for y in range(last, last - YEARS_BACK, -1)]


class StatsFilterForm(DsfrBaseForm):
    annee = forms.TypedChoiceField(label=_("Année"), coerce=int, choices=year_choices)
    perimetre = forms.ChoiceField(
        label=_("Périmètre"),
        choices=[("cell", _("Cellule en cours")), ("all", _("Toutes mes cellules"))],
    )

    def __init__(self, *args: Any, several_cells: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not several_cells:
            self.fields["perimetre"].choices = [("cell", _("Cellule en cours"))]

    @classmethod
    def defaults(cls) -> dict[str, str]:
        return {"annee": str(timezone.localdate().year - 1), "perimetre": "cell"}
