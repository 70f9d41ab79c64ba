"""The signalement form: identity, closed-list source, short description, observed facts."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.cases.models import Sex
from cmer.core.forms import DsfrForm
from cmer.referrals.models import ObservationMode, Source
from cmer.training.bias import BiasGuardMixin
from cmer.training.models import CatalogueVersion, Indicator

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,48}$")
OLDEST_BIRTH = date(1900, 1, 1)


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


def _not_future(value: date) -> date:
    if value > timezone.localdate():
        raise forms.ValidationError(_("La date ne peut pas être dans le futur."))
    return value


class ReferralForm(BiasGuardMixin, DsfrForm):
    # Free text that could carry an opinion or a special category: warn the writer (docs/rules.md §4).
    bias_fields = ("description", "situation", "legal_representatives")

    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    birth_date = forms.DateField(
        label=_("Date de naissance"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sex = forms.ChoiceField(label=_("Sexe"), choices=Sex.choices, initial=Sex.UNSPECIFIED)
    address = forms.CharField(label=_("Adresse"), max_length=200, required=False)
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Adresse électronique"), max_length=254, required=False)
    situation = forms.CharField(
        label=_("Niveau scolaire ou situation professionnelle"), max_length=200, required=False
    )
    legal_representatives = forms.CharField(
        label=_("Représentants légaux (si mineur)"), max_length=300, required=False
    )
    source = forms.ChoiceField(label=_("Origine du signalement"), choices=Source.choices)
    description = forms.CharField(
        label=_("Description factuelle"),
        help_text=_("Des faits datés, sans opinion ni jugement. 1000 caractères au plus."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    urgent = forms.BooleanField(
        label=_("Danger imminent"),
        help_text=_("Danger imminent : appelez le 17. Cochez aussi cette case pour alerter la cellule."),
        required=False,
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=48)

    def __init__(self, *args: Any, source_fixed: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.source_fixed = source_fixed
        if source_fixed:
            # A trained agent's signalement always has this source; the field is not offered.
            del self.fields["source"]

    def clean_birth_date(self) -> date:
        value = _not_future(self.cleaned_data["birth_date"])
        if value < OLDEST_BIRTH:
            raise forms.ValidationError(_("Date de naissance invalide."))
        return value

    def clean_submission_key(self) -> str:
        key = self.cleaned_data["submission_key"]
        if not KEY_RE.match(key):
            raise forms.ValidationError(_("Formulaire invalide : rechargez la page."))
        return key

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.source_fixed:
            data["source"] = Source.TRAINED_AGENT
        return data


def indicator_choices(version: CatalogueVersion | None) -> list[Any]:
    """Indicators of the version, grouped by domain, each showing its kind of signal."""
    choices: list[Any] = [("", _("Choisir un indicateur"))]
    if version is None:
        return choices
    groups: dict[str, list[tuple[int, str]]] = {}
    for ind in Indicator.objects.filter(version=version).select_related("domain"):
        groups.setdefault(ind.domain.name, []).append((ind.pk, f"{ind.label} ({ind.get_signal_display()})"))
    choices.extend(groups.items())
    return choices


class ObservationForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("fact",)

    indicator = forms.TypedChoiceField(label=_("Indicateur"), coerce=int, choices=())
    observed_on = forms.DateField(
        label=_("Date des faits"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=ObservationMode.choices, initial=ObservationMode.DIRECT)
    fact = forms.CharField(
        label=_("Fait observé (une phrase factuelle)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        indicator = self.fields["indicator"]
        assert isinstance(indicator, forms.ChoiceField)
        indicator.choices = choices

    def clean_observed_on(self) -> date:
        return _not_future(self.cleaned_data["observed_on"])


class BaseObservationFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, version: CatalogueVersion | None, **kwargs: Any) -> None:
        self.version = version
        self.choices = indicator_choices(version)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"choices": self.choices}

    def clean(self) -> None:
        if any(self.errors):
            return
        filled = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        if not filled:
            raise forms.ValidationError(_("Indiquez au moins un fait observé."))

    def observations(self) -> list[dict[str, Any]]:
        return [f.cleaned_data for f in self.forms if f.cleaned_data]


ObservationFormSet = forms.formset_factory(
    ObservationForm,
    formset=BaseObservationFormSet,
    extra=3,
    max_num=10,
    validate_max=True,
    absolute_max=10,
)


def observation_formset(data: Any, version: CatalogueVersion | None) -> BaseObservationFormSet:
    """The facts' formset, bound to the indicators of `version`."""
    # formset_factory's return type does not carry the custom __init__ for type checkers.
    return ObservationFormSet(data, version=version, prefix="obs")  # type: ignore[call-arg, return-value]
