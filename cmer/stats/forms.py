from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

YEARS_BACK = 5


def year_choices() -> list[tuple[str, str]]:
    """Whole calendar years only: periods never overlap, so no filter can be subtracted from
    another to isolate a few people."""
    this_year = timezone.localdate().year
    return [(str(y), str(y)) for y in range(this_year, this_year - YEARS_BACK, -1)]


class StatsFilterForm(DsfrBaseForm):
    annee = forms.TypedChoiceField(label=_("Année"), coerce=int, choices=year_choices)
    perimetre = forms.ChoiceField(
        label=_("Périmètre"),
        choices=[("cell", _("Cellule en cours")), ("all", _("Toutes mes cellules"))],
    )

    def __init__(self, *args, several_cells: bool = False, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        if not several_cells:
            self.fields["perimetre"].choices = [("cell", _("Cellule en cours"))]

    @classmethod
    def defaults(cls) -> dict[str, str]:
        today = timezone.localdate()
        # In January the current year has no complete month yet: show the year just ended.
        return {"annee": str(today.year if today.month > 1 else today.year - 1), "perimetre": "cell"}
