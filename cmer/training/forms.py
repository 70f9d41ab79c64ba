from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Cell, Membership
from cmer.core.forms import DsfrForm
from cmer.core.id_fields import PublicIdModelChoiceField, choices, decoder
from cmer.training import quiz
from cmer.training.bias import BiasGuardMixin
from cmer.training.models import Caveat, Domain, Indicator, Provider, Signal
from cmer.training.services import item_problems

CODE = RegexValidator(r"^[A-Z]{2,5}(-[A-Z0-9]{1,6})?$", _("Code en majuscules, par exemple RUP-S7."))


class DomainForm(DsfrForm, forms.ModelForm):
    code = forms.CharField(label=_("Code"), max_length=20, validators=[CODE])

    class Meta:
        model = Domain
        fields = ["code", "name", "description", "order"]
        labels = {"order": _("Ordre d'affichage")}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for problem in item_problems(cleaned.get("name", ""), cleaned.get("description", "")):
            self.add_error(None, problem)
        return cleaned


class IndicatorForm(DsfrForm, forms.ModelForm):
    """An item of the draft: observable behaviour only, checked against the term list."""

    code = forms.CharField(label=_("Code"), max_length=20, validators=[CODE])
    signal = forms.ChoiceField(label=_("Nature du signal"), choices=Signal.choices, widget=forms.RadioSelect)

    class Meta:
        model = Indicator
        fields = ["domain", "code", "label", "signal", "description", "examples", "order"]
        labels = {"domain": _("Domaine"), "order": _("Ordre d'affichage")}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "examples": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, draft: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        domain = cast(forms.ModelChoiceField, self.fields["domain"])
        domain.queryset = Domain.objects.filter(version=draft)
        domain.empty_label = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        problems = item_problems(
            cleaned.get("label", ""), cleaned.get("description", ""), cleaned.get("examples", "")
        )
        for problem in problems:
            self.add_error(None, problem)
        return cleaned


class CaveatForm(BiasGuardMixin, DsfrForm, forms.ModelForm):
    bias_fields = ("text", "source")

    class Meta:
        model = Caveat
        fields = ["text", "source", "order"]
        labels = {"order": _("Ordre d'affichage")}


class ApproveForm(DsfrForm):
    reviewed = forms.BooleanField(
        label=_(
            "J'ai relu chaque indicateur : aucun ne désigne une religion, une pratique religieuse, une "
            "origine, une nationalité, une structure familiale, un état de santé ou une opinion "
            "politique, et aucun ne porte de poids ni de score."
        ),
        error_messages={"required": _("Cochez la case pour confirmer votre relecture avant d'approuver.")},
    )


class SessionForm(DsfrForm):
    provider = forms.ModelChoiceField(
        label=_("Organisme de formation"), queryset=Provider.objects.filter(is_active=True), empty_label=None
    )
    title = forms.CharField(label=_("Intitulé"), max_length=160)
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    place = forms.CharField(label=_("Lieu"), max_length=200)
    programme = forms.CharField(
        label=_("Programme"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    audience = forms.ModelMultipleChoiceField(
        label=_("Public : agents et élus des cellules"),
        queryset=Cell.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A trainer offers sessions to the cells they work in, and sees only those.
        cells = Membership.objects.active().filter(user_id=membership.user_id).values("cell_id")
        self.fields["audience"].queryset = Cell.objects.filter(is_active=True, pk__in=cells)
        self.fields["audience"].initial = [membership.cell_id]
        profile = getattr(membership, "trainer_profile", None)
        if profile is not None:
            self.fields["provider"].initial = profile.provider_id


class AttendanceForm(DsfrForm):
    attendee = PublicIdModelChoiceField(
        label=_("Personne présente"), queryset=Membership.objects.none(), kind="membership"
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only people of the trainer's current cell: no names from other cells are shown.
        self.fields["attendee"].queryset = (
            Membership.objects.active().filter(cell_id=membership.cell_id).select_related("user")
        )
        self.fields["attendee"].label_from_instance = lambda m: (
            f"{m.user.get_full_name()} — {m.get_role_display()}"
        )


class CertificationForm(DsfrForm):
    attendee = forms.TypedChoiceField(label=_("Personne présente"), coerce=decoder("user"))
    issued_on = forms.DateField(
        label=_("Délivrée le"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    expires_on = forms.DateField(
        label=_("Expire le"),
        required=False,
        help_text=_("Laissez vide pour la durée par défaut (deux ans)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, attendances: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendee"].choices = choices(
            "user", ((a.user_id, a.user.get_full_name()) for a in attendances)
        )


class QuizForm(DsfrForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in quiz.QUESTIONS:
            self.fields[question.key] = forms.ChoiceField(
                label=question.text, choices=question.choices, widget=forms.RadioSelect
            )
