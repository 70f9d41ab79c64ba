"""Forms of the exchange with the State: closed lists, dates; only the declared fields are read."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.cases.models import Case
from cmer.core.forms import DsfrForm
from cmer.core.french import format_date
from cmer.core.id_fields import PublicIdModelChoiceField, PublicIdModelMultipleChoiceField
from cmer.exchange.models import (
    Channel,
    FeedbackOutcome,
    LegalBasis,
    PrefectSituation,
    Purpose,
    Recipient,
)
from cmer.referrals.models import Observation
from cmer.training.bias import BiasGuardMixin

UNKNOWN_CHOICE = _("Valeur inconnue : choisissez-la dans la liste proposée.")


def _date_field(label: Any, **kwargs: Any) -> forms.DateField:
    # A date input only accepts ISO values, whatever the page's locale.
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, widget=widget, **kwargs)


def _choice(label: Any, choices: Any, **kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, error_messages={"invalid_choice": UNKNOWN_CHOICE}, **kwargs
    )


class BoundedModelMultipleChoiceField(PublicIdModelMultipleChoiceField):
    """A multi-select that refuses absurd submissions before they reach the database.

    A list of thousands of values costs a query each: it is refused with a message. (A value that
    is not a public id of the kind is refused before any query, by the parent field.)
    """

    MAX_CHOICES = 200

    def clean(self, value: Any) -> Any:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if len(values) > self.MAX_CHOICES:
            raise forms.ValidationError(
                _("Trop de faits choisis : %(max)d au plus.") % {"max": self.MAX_CHOICES}, code="too_many"
            )
        return super().clean(value)


class TransmissionForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("recipient_detail",)
    recipient = _choice(_("Destinataire"), Recipient.choices)
    recipient_detail = forms.CharField(
        label=_("Service de l'État destinataire"),
        help_text=_(
            "Uniquement pour « autre service de l'État » : le nom du service, jamais d'une personne."
        ),
        max_length=120,
        required=False,
    )
    legal_basis = _choice(_("Base légale"), LegalBasis.choices)
    purpose = _choice(_("Finalité"), Purpose.choices)
    channel = _choice(
        _("Canal"),
        Channel.choices,
        initial=Channel.PLATFORM,
        help_text=_(
            "Une transmission déjà faite par un canal officiel hors plateforme est consignée ici de la même manière."
        ),
    )
    observations = BoundedModelMultipleChoiceField(
        kind="observation",
        label=_("Faits observés transmis"),
        queryset=Observation.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choisissez au moins un fait observé à transmettre."),
            "invalid_choice": _("Un fait choisi n'appartient pas à cette situation."),
            "invalid_pk_value": _("Un fait choisi n'appartient pas à cette situation."),
        },
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["observations"]
        field.queryset = Observation.objects.filter(referral__case=case).select_related(
            "indicator", "referral"
        )
        field.label_from_instance = lambda o: f"{format_date(o.observed_on)} — {o.indicator.label} — {o.fact}"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("recipient") == Recipient.OTHER_STATE and not data.get("recipient_detail", "").strip():
            self.add_error("recipient_detail", _("Précisez le service de l'État destinataire."))
        return data


class AcknowledgeForm(DsfrForm):
    on = _date_field(_("Date de l'accusé de réception"))


class FeedbackForm(DsfrForm):
    outcome = _choice(_("Retour de l'État"), FeedbackOutcome.choices, widget=forms.RadioSelect)
    received_on = _date_field(_("Date du retour"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class PrefectInformationForm(DsfrForm):
    situation = _choice(_("Situation"), PrefectSituation.choices, widget=forms.RadioSelect)
    received_on = _date_field(_("Date de l'information"))
    case = PublicIdModelChoiceField(
        kind="case",
        label=_("Situation suivie concernée"),
        queryset=Case.objects.none(),
        required=False,
        empty_label=_("— aucune —"),
        error_messages={"invalid_choice": _("Cette situation n'est pas accessible.")},
    )

    def __init__(self, *args: Any, cases: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases
        self.fields["case"].label_from_instance = lambda c: c.reference


class BriefingForm(DsfrForm):
    scheduled_on = _date_field(_("Date prévue du point de situation"))
