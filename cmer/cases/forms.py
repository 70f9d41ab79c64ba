"""Forms of the case pages: qualification, closure, archive access, exact person search."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm

from cmer.cases.permissions import QUALIFY_EXITS
from cmer.cases.states import CloseReason, State

NOTE_HELP = _("Une phrase factuelle, sans opinion ni jugement. 300 caractères au plus.")


class QualifyForm(DsfrBaseForm):
    decision = forms.ChoiceField(
        label=_("Orientation"),
        choices=[(s.value, s.label) for s in QUALIFY_EXITS],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Motif"), help_text=NOTE_HELP, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(DsfrBaseForm):
    reason = forms.ChoiceField(label=_("Motif de clôture"), choices=CloseReason.choices)
    note = forms.CharField(label=_("Précision"), help_text=NOTE_HELP, max_length=300, required=False)


class ArchiveReasonForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Motif de consultation"),
        help_text=_("Pourquoi devez-vous consulter cette situation archivée ? Ce motif est tracé."),
        min_length=10,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PersonSearchForm(DsfrBaseForm):
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("État"), choices=[("", _("Tous")), *list(State.choices)], required=False
    )
