"""Forms of the support screens: assigning an action, recording its result."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmer.cases.models import ActionResult
from cmer.core.forms import DsfrForm
from cmer.support.services import NOTE_MAX
from cmer.training.bias import BiasGuardMixin


class ActionForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("title", "referent")
    title = forms.CharField(label=gettext_lazy("Action"), max_length=200)
    service = forms.ChoiceField(label=gettext_lazy("Service chargé de l'action"), choices=[])
    referent = forms.CharField(label=gettext_lazy("Référent (fonction)"), max_length=120, required=False)
    start_on = forms.DateField(
        label=gettext_lazy("Début"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_on = forms.DateField(
        label=gettext_lazy("Échéance"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, services_list: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service = self.fields["service"]
        assert isinstance(service, forms.ChoiceField)
        service.choices = [("", _("— choisir —")), *((s, s) for s in services_list)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start_on") and data.get("end_on") and data["end_on"] < data["start_on"]:
            self.add_error("end_on", _("L'échéance ne peut pas précéder le début de l'action."))
        return data


class ActionUpdateForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("note",)
    result = forms.ChoiceField(label=gettext_lazy("Résultat"), choices=ActionResult.choices)
    note = forms.CharField(
        label=gettext_lazy("Ce qui a été fait (une phrase factuelle)"),
        max_length=NOTE_MAX,
        help_text=gettext_lazy(
            "Un fait daté, sans opinion ni jugement sur la personne, sans donnée sensible."
        ),
    )
