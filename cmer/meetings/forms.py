from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.cases.models import Case
from cmer.cases.states import CloseReason, State
from cmer.core.forms import CHECKBOXES, RADIOS, CachedChoiceIterator, DsfrForm, InlineSelect, options_in_place
from cmer.core.id_fields import PublicIdModelChoiceField, choices, decoder
from cmer.core.public_ids import public_id
from cmer.meetings.models import Attendance, Attendee, Decision, DecisionKind, ItemKind, Meeting
from cmer.meetings.services import ALLOWED_DECISIONS
from cmer.training.bias import BiasGuardMixin

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# A meeting far outside this century is a typing slip; year 0001 in Paris time cannot even be
# converted to UTC, so it must be refused before it reaches the model.
YEARS = range(2000, 2100)


def _plausible(value: Any) -> Any:
    if value is not None and value.year not in YEARS:
        raise forms.ValidationError(_("Choisissez une date entre 2000 et 2099."), code="out_of_range")
    return value


class MeetingForm(DsfrForm, forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["starts_at", "ends_at", "place"]
        widgets = {"starts_at": _datetime_widget(), "ends_at": _datetime_widget()}
        labels = {"starts_at": _("Début"), "ends_at": _("Fin"), "place": _("Lieu")}

    def clean_starts_at(self) -> Any:
        return _plausible(self.cleaned_data.get("starts_at"))

    def clean_ends_at(self) -> Any:
        return _plausible(self.cleaned_data.get("ends_at"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("La fin de la réunion doit suivre son début."))
        elif starts and ends and timezone.localtime(ends).date() != timezone.localtime(starts).date():
            self.add_error(
                "ends_at",
                _("Une réunion se tient sur une seule journée : elle finit le jour où elle commence."),
            )
        return data


def _member_label(m: Membership) -> str:
    return f"{m.user.get_full_name()} — {m.get_role_display()} ({m.service or '—'})"


class ConveneForm(DsfrForm):
    attendees = options_in_place(  # the whole cell: dozens of options
        forms.TypedMultipleChoiceField(
            label=_("Participants à convoquer"),
            coerce=decoder("membership"),
            widget=forms.CheckboxSelectMultiple,
            help_text=_(
                "Tous les membres sont notifiés. Ceux qui n'ont pas encore accepté la charte en vigueur "
                "ne verront la réunion qu'après l'avoir acceptée."
            ),
        ),
        CHECKBOXES,
    )

    def __init__(
        self, *args: Any, eligible: list[Membership], pending: frozenset[int] = frozenset(), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Choices from the list already loaded by the view: no second query. The whole cell is
        # proposed (a meeting convenes every member); the coordinator unticks who is not expected.
        self._by_pk = {m.pk: m for m in eligible}
        pending_note = _(" — charte pas encore acceptée")
        self.fields["attendees"].choices = choices(
            "membership",
            ((m.pk, _member_label(m) + (pending_note if m.pk in pending else "")) for m in eligible),
        )
        self.fields["attendees"].initial = [token for token, _label in self.fields["attendees"].choices]

    def memberships(self) -> list[Membership]:
        return [self._by_pk[pk] for pk in self.cleaned_data["attendees"]]


class _CaseChoiceField(PublicIdModelChoiceField):
    iterator = CachedChoiceIterator
    widget = InlineSelect  # every situation waiting for a meeting: dozens of options

    def label_from_instance(self, obj: Case) -> str:
        return f"{obj.reference} — {State(obj.state).label}"


class AgendaAddForm(DsfrForm):
    case = _CaseChoiceField(
        label=_("Situation à inscrire"),
        queryset=Case.objects.none(),
        empty_label=_("— choisir —"),
        kind="case",
    )

    def __init__(self, *args: Any, candidates: QuerySet[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["case"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = candidates


class MoveForm(DsfrForm):
    direction = forms.ChoiceField(choices=[("up", _("monter")), ("down", _("descendre"))])


class GuestForm(DsfrForm):
    guest = forms.TypedChoiceField(label=_("Intervenant ponctuel"), coerce=decoder("membership"))

    def __init__(self, *args: Any, guests: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_pk = {m.pk: m for m in guests}
        self.fields["guest"].choices = [
            ("", _("— choisir —")),
            *choices("membership", ((m.pk, _member_label(m)) for m in guests)),
        ]

    def membership(self) -> Membership:
        return self._by_pk[self.cleaned_data["guest"]]


class UninviteForm(DsfrForm):
    guest = forms.TypedChoiceField(label=_("Intervenant"), coerce=decoder("membership"))

    def __init__(self, *args: Any, guests: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._by_pk = {m.pk: m for m in guests}
        self.fields["guest"].choices = choices("membership", ((m.pk, "") for m in guests))

    def membership(self) -> Membership:
        return self._by_pk[self.cleaned_data["guest"]]


class OpenForm(DsfrForm):
    """Attendance at the opening: each convened member present, excused or absent; none pre-chosen."""

    def __init__(self, *args: Any, roll: list[Attendee], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roll = roll
        for attendee in roll:
            field = forms.ChoiceField(
                label=_member_label(attendee.membership),
                choices=Attendance.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("Indiquez si ce membre est présent, excusé ou absent.")},
            )
            self.fields[self.field_name(attendee)] = options_in_place(field, RADIOS)  # one group per member

    def attendance(self) -> dict[int, str]:
        return {a.pk: self.cleaned_data[self.field_name(a)] for a in self.roll}

    @staticmethod
    def field_name(attendee: Attendee) -> str:
        return f"a-{public_id('attendee', attendee.pk)}"


class DecisionForm(BiasGuardMixin, DsfrForm):
    bias_fields = ("path_referent",)
    kind = forms.ChoiceField(label=_("Décision"), choices=DecisionKind.choices)
    responsible_service = forms.ChoiceField(label=_("Service responsable"), choices=[])
    deadline = forms.DateField(label=_("Échéance"), required=False, widget=_date_widget())
    close_reason = forms.ChoiceField(
        label=_("Motif de clôture (si clôture)"),
        required=False,
        choices=[("", _("— sans objet —")), *CloseReason.choices],
    )
    consent_on = forms.DateField(
        label=_("Libre adhésion recueillie le (si accompagnement)"), required=False, widget=_date_widget()
    )
    parental_info_on = forms.DateField(
        label=_("Titulaires de l'autorité parentale informés le (mineur)"),
        required=False,
        widget=_date_widget(),
    )
    path_referent = forms.CharField(
        label=_("Référent de parcours (service ou fonction)"), required=False, max_length=120
    )

    def __init__(
        self,
        *args: Any,
        item_kind: str,
        services: list[str],
        decision: Decision | None = None,
        **kwargs: Any,
    ) -> None:
        if decision is not None and not args and "data" not in kwargs:
            # Correcting a recorded decision: the form starts from what was recorded.
            kwargs["initial"] = {
                field: getattr(decision, field)
                for field in (
                    "kind",
                    "responsible_service",
                    "deadline",
                    "close_reason",
                    "consent_on",
                    "parental_info_on",
                    "path_referent",
                )
            }
        super().__init__(*args, **kwargs)
        allowed = ALLOWED_DECISIONS[ItemKind(item_kind)]
        # No preselected decision: the meeting chooses deliberately.
        self.fields["kind"].choices = [
            ("", _("— choisir —")),
            *((v, label) for v, label in DecisionKind.choices if v in allowed),
        ]
        self.fields["responsible_service"].choices = [("", _("— choisir —")), *((s, s) for s in services)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == DecisionKind.CLOSE and not data.get("close_reason"):
            self.add_error("close_reason", _("Une clôture demande un motif choisi dans la liste."))
        if data.get("kind") == DecisionKind.PROPOSE_SUPPORT and not data.get("consent_on"):
            self.add_error(
                "consent_on",
                _("Un accompagnement suppose la libre adhésion de la personne : indiquez sa date."),
            )
        return data
