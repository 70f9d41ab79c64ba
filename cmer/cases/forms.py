"""Forms of the case pages: qualification, closure, archive access, exact person search."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cmer.cases.models import AttachReason, Case, DeferralReason, InformationMethod, InformationStatus
from cmer.cases.permissions import QUALIFY_EXITS
from cmer.cases.states import CloseReason, State
from cmer.core.forms import RADIOS, DsfrForm, InlineSelect, options_in_place
from cmer.core.id_fields import choices, decoder
from cmer.training.bias import BiasGuardMixin

NOTE_HELP = _("Une phrase factuelle, sans opinion ni jugement. 300 caractères au plus.")


class QualifyForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("note",)
    decision = forms.ChoiceField(
        label=_("Orientation"),
        choices=[(s.value, s.label) for s in QUALIFY_EXITS],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Motif"), help_text=NOTE_HELP, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("note",)
    # No reason is pre-selected: closing is a deliberate choice (docs/rules.md §3).
    reason = forms.ChoiceField(
        label=_("Motif de clôture"),
        choices=[("", _("— choisir —")), *CloseReason.choices],
        widget=InlineSelect,  # the situation page: options written in place (cmer/core/forms.py)
    )
    note = forms.CharField(label=_("Précision"), help_text=NOTE_HELP, max_length=300, required=False)


class ConfirmForm(forms.Form):
    """The second step of a destructive action: the first POST shows a confirmation page."""

    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ArchiveReasonForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("reason",)
    reason = forms.CharField(
        label=_("Motif de consultation"),
        help_text=_("Pourquoi devez-vous consulter cette situation archivée ? Ce motif est tracé."),
        min_length=10,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PersonSearchForm(DsfrForm):
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class StateFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("État"), choices=[("", _("Tous")), *list(State.choices)], required=False
    )


class AttachForm(DsfrForm):
    """Attach this new case's signalement to one of the known person's situations (listed on the page)."""

    into = forms.TypedChoiceField(label=_("Situation de rattachement"), coerce=decoder("case"), choices=())
    reason = forms.ChoiceField(label=_("Motif du rattachement"), choices=AttachReason.choices)

    def __init__(self, *args: Any, targets: list[Case] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = choices(
            "case", ((c.pk, f"{c.reference} ({c.get_state_display()})") for c in targets)
        )


class InformationForm(DsfrForm):
    # On the situation page: options written in place (cmer/core/forms.py).
    status = options_in_place(
        forms.ChoiceField(label=_("Décision"), choices=InformationStatus.choices, widget=forms.RadioSelect),
        RADIOS,
    )
    informed_on = forms.DateField(
        label=_("Informée le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    method = forms.ChoiceField(
        label=_("Moyen"), choices=[("", "—"), *InformationMethod.choices], required=False, widget=InlineSelect
    )
    deferral_reason = forms.ChoiceField(
        label=_("Motif du report (RGPD art. 23)"),
        choices=[("", "—"), *DeferralReason.choices],
        required=False,
        widget=InlineSelect,
    )
    review_on = forms.DateField(
        label=_("À réexaminer le"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == InformationStatus.INFORMED:
            for name in ("informed_on", "method"):
                if not data.get(name):
                    self.add_error(name, _("Obligatoire quand la personne a été informée."))
        elif data.get("status") == InformationStatus.DEFERRED:
            for name in ("deferral_reason", "review_on"):
                if not data.get(name):
                    self.add_error(name, _("Obligatoire quand l'information est différée."))
        return data
