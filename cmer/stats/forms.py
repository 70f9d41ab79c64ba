from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.core.forms import DsfrForm

YEARS_BACK = 5


def year_choices() -> list[tuple[str, str]]:
    """The running year (provisional, by completed quarter), then completed calendar years.

    Periods never overlap, so no filter can be subtracted from another. The running year is never
    a year-to-date total, which read month after month would give each new month's count by
    difference: each completed quarter is its own publication, and the year, once over, is
    suppressed consistently with the quarters already published (cmer/stats/report.py).
    """
    current = timezone.localdate().year
    running = (str(current), _("%(y)s (provisoire, par trimestre)") % {"y": current})
    return [running] + [(str(y), str(y)) for y in range(current - 1, current - 1 - YEARS_BACK, -1)]


class StatsFilterForm(DsfrForm):
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
