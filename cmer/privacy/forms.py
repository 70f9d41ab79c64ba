from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.audit.labels import action_choices, target_choices
from cmer.audit.models import Outcome
from cmer.cases.models import RectificationReason, Sex
from cmer.core.forms import DsfrForm
from cmer.core.french import format_date
from cmer.core.public_ids import primary_key, public_id
from cmer.privacy.models import RetentionPolicy, RightsKind, RightsOutcome, RightsRequest, RightsStatus
from cmer.privacy.services import POLICY_FIELDS
from cmer.referrals.forms import OLDEST_BIRTH
from cmer.training.bias import BiasGuardMixin

CODE = r"^[A-Za-z0-9_.:\-]*$"


class LenientChoiceField(forms.ChoiceField):
    """A select showing labels, whose value may also be any code matching `pattern`.

    Links and bookmarks keep working with codes the list does not offer (an action family
    « case. », an account that left the cell): the search then simply finds what matches.
    """

    def __init__(self, *, pattern: str, **kwargs: Any) -> None:
        self.pattern = re.compile(pattern)
        super().__init__(**kwargs)

    def valid_value(self, value: Any) -> bool:
        return bool(self.pattern.match(str(value))) or super().valid_value(value)


class AuditSearchForm(DsfrForm):
    """Filters of the audit search. The trail holds codes and ids; the selects show their labels."""

    actor = LenientChoiceField(label=_("Compte"), pattern=r"^[1-9][0-9]{0,18}$", required=False)
    action = LenientChoiceField(label=_("Action"), pattern=r"^[A-Za-z0-9_.:\-]{1,64}$", required=False)
    target_type = LenientChoiceField(
        label=_("Type d'objet"), pattern=r"^[a-z0-9_]{1,30}\.[a-z0-9_]{1,30}$", required=False
    )
    # The page shows no database id, so it asks for none: the field only carries links' filters.
    target_id = forms.RegexField(regex=CODE, max_length=64, required=False, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(label=_("Résultat"), choices=[("", "—"), *Outcome.choices], required=False)
    date_from = forms.DateField(label=_("Du"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(
        label=_("Au (inclus)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    before = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)

    def _plausible_date(self, name: str) -> Any:
        # The period becomes local-midnight instants: year 0001 or 9999 (+1 day) overflow them.
        value = self.cleaned_data.get(name)
        if value is not None and not 2000 <= value.year <= 2099:
            raise forms.ValidationError(_("Choisissez une date entre 2000 et 2099."), code="out_of_range")
        return value

    def clean_date_from(self) -> Any:
        return self._plausible_date("date_from")

    def clean_date_to(self) -> Any:
        return self._plausible_date("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
        return data

    def __init__(self, *args: Any, accounts: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everyone: list[tuple[str, str]] = [("", str(_("Tous")))]
        self.fields["actor"].choices = [*everyone, *(accounts or [])]
        self.fields["action"].choices = [*everyone, *action_choices()]
        self.fields["target_type"].choices = [*everyone, *target_choices()]


class RightsRequestForm(DsfrForm, forms.ModelForm):
    class Meta:
        model = RightsRequest
        fields = ["reference", "kind", "received_on"]
        widgets = {"received_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The model's blank choice reads « --------- »; every list of the platform opens the same way.
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)  # the model field has choices
        kind.choices = [("", _("— choisir —")), *RightsKind.choices]

    def clean_received_on(self) -> dt.date:
        day = self.cleaned_data["received_on"]
        if day > dt.date.today() + dt.timedelta(days=1):
            raise forms.ValidationError(_("La date de réception ne peut pas être dans le futur."))
        return day


class RightsUpdateForm(DsfrForm):
    status = forms.ChoiceField(label=_("État"), choices=RightsStatus.choices)
    outcome = forms.ChoiceField(
        label=_("Suite donnée"), choices=[("", "—"), *RightsOutcome.choices], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == RightsStatus.CLOSED and not data.get("outcome"):
            self.add_error("outcome", _("Indiquez la suite donnée pour clore la demande."))
        return data


class RetentionPolicyForm(DsfrForm, forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = list(POLICY_FIELDS)


class PurgeForm(DsfrForm):
    wet_run = forms.BooleanField(label=_("Exécuter réellement (sinon simulation)"), required=False)


class SubjectForm(DsfrForm):
    """The person a request is about: exact name and birth date (POSTed, never in a URL)."""

    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    birth_date = forms.DateField(label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}))


class RectifyForm(BiasGuardMixin, DsfrForm):
    """Identity fields plus one field per observed fact (fact_<id>), pre-filled with today's values."""

    bias_fields: tuple[str, ...] = ("situation", "legal_representatives")

    reason = forms.ChoiceField(label=_("Motif de la rectification"), choices=RectificationReason.choices)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date de naissance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices)
    address = forms.CharField(label=_("Adresse"), max_length=300, required=False)
    phone = forms.CharField(label=_("Téléphone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Adresse électronique"), required=False)
    situation = forms.CharField(
        label=_("Niveau scolaire ou situation professionnelle"), max_length=200, required=False
    )
    legal_representatives = forms.CharField(
        label=_("Représentants légaux (mineur)"), max_length=300, required=False
    )

    def __init__(self, *args: Any, observations: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        for n, obs in enumerate(observations, start=1):
            self.fields[self.fact_field(obs.pk)] = forms.CharField(
                label=_("Fait observé n° %(n)s (%(day)s)") % {"n": n, "day": format_date(obs.observed_on)},
                max_length=300,
                initial=obs.fact,
            )
        # A rectified fact is free text like the fact it corrects: guarded the same way.
        self.bias_fields = (*type(self).bias_fields, *(self.fact_field(obs.pk) for obs in observations))

    def identity(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason" and not k.startswith("fact_")}

    def facts(self) -> dict[int, str]:
        return {
            primary_key("observation", k[5:]): v
            for k, v in self.cleaned_data.items()
            if k.startswith("fact_")
        }

    @staticmethod
    def fact_field(observation_pk: int) -> str:
        # The field's name is in the page: the observation's public id, not its primary key.
        return f"fact_{public_id('observation', observation_pk)}"

    def clean_birth_date(self) -> dt.date:
        # The same bounds as at intake: a real person's date, never a year 0001 nor the future.
        value: dt.date = self.cleaned_data["birth_date"]
        if not OLDEST_BIRTH <= value <= timezone.localdate():
            raise forms.ValidationError(_("Date de naissance invalide."))
        return value


class EraseForm(DsfrForm):
    mode = forms.ChoiceField(
        label=_("Droit exercé"),
        choices=[
            ("erasure", _("effacement : destruction définitive (art. 17)")),
            ("restriction", _("limitation : archivage, conservation seule (art. 18)")),
        ],
        widget=forms.RadioSelect,
        initial="erasure",
    )
    confirm = forms.BooleanField(
        label=_(
            "Je confirme : la décision a été prise sur une demande de la personne et sa base légale le permet"
        ),
    )
