"""Meetings: scheduling, convocation, agenda, decisions and the relevé. Each change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.db.models.query import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmer.accounts.models import Cell, Membership, accepted_charter_in_force
from cmer.accounts.roles import PARTICIPANTS
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.cases.services import TransitionError, case_close, case_transition, check_watch_renewal
from cmer.cases.states import CloseReason, State, decision_path
from cmer.core.errors import DomainError
from cmer.core.french import format_date
from cmer.meetings.models import (
    AgendaItem,
    Attendance,
    Attendee,
    Decision,
    DecisionKind,
    ItemKind,
    Meeting,
)
from cmer.meetings.notifications import (
    MEETING_CANCELLED,
    MEETING_CONVENED,
    MEETING_GUEST_INVITED,
    MEETING_GUEST_WITHDRAWN,
)
from cmer.meetings.permissions import can_be_convened, can_be_invited_to_item, can_validate_minutes
from cmer.notifications.services import notify
from cmer.support.services import SupportError, check_consent, support_plan_end, support_plan_start


class MeetingError(DomainError):
    """A refused meeting operation; its message (French, through gettext) is shown to the user."""


# Which agenda item a case in a given state becomes.
ITEM_KIND_FOR_STATE = {
    State.TO_REVIEW: ItemKind.REVIEW,
    State.WATCH: ItemKind.WATCH,
    State.SUPPORT: ItemKind.SUPPORT_REVIEW,
}
ALLOWED_DECISIONS = {
    ItemKind.REVIEW: {
        DecisionKind.TRANSMIT_TO_STATE,
        DecisionKind.PROPOSE_SUPPORT,
        DecisionKind.WATCH,
        DecisionKind.CLOSE,
    },
    ItemKind.WATCH: {
        DecisionKind.TRANSMIT_TO_STATE,
        DecisionKind.PROPOSE_SUPPORT,
        DecisionKind.WATCH,
        DecisionKind.CLOSE,
    },
    ItemKind.SUPPORT_REVIEW: {
        DecisionKind.CONTINUE,
        DecisionKind.TRANSMIT_TO_STATE,
        DecisionKind.WATCH,
        DecisionKind.CLOSE,
    },
}


def suggested_start(cell: Cell, *, today: date | None = None) -> datetime:
    """The last meeting plus the cell's cadence (or today plus the cadence), at 14:00."""
    today = today or timezone.localdate()
    last = (
        Meeting.objects.filter(cell=cell).order_by("-starts_at").values_list("starts_at", flat=True).first()
    )
    base = max(timezone.localtime(last).date() if last else today, today)
    day = base + timedelta(weeks=cell.meeting_cadence_weeks)
    return timezone.make_aware(datetime.combine(day, time(14, 0)))


@dataclass(frozen=True)
class Convenable:
    membership: Membership
    reason: str  # empty when the membership may be convened


def cell_participants(cell: Cell) -> list[Convenable]:
    """Active members, state members, managers and guests of the cell, each with why they cannot be
    convened or invited (no acceptance of the charter in force). One query."""
    rows = (
        Membership.objects.active()
        .filter(cell=cell, role__in=PARTICIPANTS)
        .annotate(accepted=accepted_charter_in_force())
        .select_related("user")
        .order_by("role", "user__last_name", "pk")
    )
    reason = _("n'a pas accepté la charte de confidentialité en vigueur")
    return [Convenable(m, "" if m.accepted else reason) for m in rows]


def convenable_memberships(cell: Cell, participants: list[Convenable] | None = None) -> list[Convenable]:
    """Those who may be convened as attendees (guests are invited to an item instead)."""
    return [c for c in (participants or cell_participants(cell)) if can_be_convened(c.membership)]


def invitable_guests(cell: Cell, participants: list[Convenable] | None = None) -> list[Membership]:
    """Guests of the cell who accepted the charter and so may be invited to an item."""
    return [
        c.membership
        for c in (participants or cell_participants(cell))
        if can_be_invited_to_item(c.membership) and not c.reason
    ]


def guests_pending_charter(cell: Cell, participants: list[Convenable] | None = None) -> list[Membership]:
    """Guests of the cell who cannot be invited to an item until they accept the charter in force."""
    return [
        c.membership
        for c in (participants or cell_participants(cell))
        if can_be_invited_to_item(c.membership) and c.reason
    ]


def _check_open_for_changes(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise MeetingError(_("Cette réunion est annulée : elle ne peut plus être modifiée."))
    if meeting.minutes_validated_at is not None:
        raise MeetingError(_("Le relevé de décisions est validé : la réunion ne peut plus être modifiée."))


def _day(moment: datetime) -> str:
    return format_date(moment)


def open_window(meeting: Meeting) -> tuple[datetime, datetime]:
    """When the séance may be opened: on the meeting's day (local time), give or take the tolerance
    of CMER_MEETING_OPEN_TOLERANCE_HOURS, so a meeting is never held days before its date."""
    day = timezone.localtime(meeting.starts_at).date()
    tolerance = timedelta(hours=settings.CMER_MEETING_OPEN_TOLERANCE_HOURS)
    first = timezone.make_aware(datetime.combine(day, time.min))
    last = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return first - tolerance, last + tolerance


def check_one_day(starts_at: datetime, ends_at: datetime) -> None:
    """A meeting ends after it starts, on the same day: a guest's window never stays open longer."""
    if ends_at <= starts_at:
        raise MeetingError(_("La fin de la réunion doit suivre son début."))
    if timezone.localtime(ends_at).date() != timezone.localtime(starts_at).date():
        raise MeetingError(
            _("Une réunion se tient sur une seule journée : elle finit le jour où elle commence.")
        )


@transaction.atomic
def meeting_schedule(
    *, cell: Cell, starts_at: datetime, ends_at: datetime, place: str, by: Membership
) -> Meeting:
    """Schedule a meeting of the cell; it ends after it starts, the same day."""
    if by.cell_id != cell.pk:
        raise MeetingError(_("Cette cellule n'est pas la vôtre."))
    check_one_day(starts_at, ends_at)
    meeting = Meeting.objects.create(cell=cell, starts_at=starts_at, ends_at=ends_at, place=place)
    record(action="meeting.scheduled", actor=by.user_id, cell=cell.pk, target=meeting)
    return meeting


@transaction.atomic
def meeting_convene(*, meeting: Meeting, memberships: list[Membership], by: Membership) -> list[Attendee]:
    """Convene active members of the cell and notify those newly convened.

    Members who have not accepted the charter in force are convened and notified too: the charter
    gate shows them nothing of the cell until they accept it (docs/security.md #10), and the
    coordinator sees who has not accepted yet.
    """
    _check_open_for_changes(meeting)
    allowed = {c.membership.pk: c for c in convenable_memberships(meeting.cell)}
    if not memberships:
        raise MeetingError(_("Choisissez au moins un participant."))
    if any(m.pk not in allowed for m in memberships):
        raise MeetingError(_("Un des participants choisis ne peut pas être convoqué dans cette cellule."))
    existing = set(meeting.attendees.values_list("membership_id", flat=True))
    # A member listed twice (a replayed or forged form) is convened once, not a unique-key crash.
    unique = {m.pk: m for m in memberships}.values()
    new = [Attendee(meeting=meeting, membership=m) for m in unique if m.pk not in existing]
    Attendee.objects.bulk_create(new)
    if meeting.convened_at is None:
        meeting.convened_at = timezone.now()
        meeting.save(update_fields=["convened_at"])
    users = [allowed[a.membership.pk].membership.user for a in new]
    notify(
        recipients=users,
        kind=MEETING_CONVENED,
        cell=meeting.cell,
        target=meeting,
    )
    record(
        action="meeting.convened",
        actor=by.user_id,
        cell=meeting.cell_id,
        target=meeting,
        data={"added": len(new), "charter_pending": sum(1 for a in new if allowed[a.membership.pk].reason)},
    )
    return new


def agenda_candidates(meeting: Meeting, membership: Membership) -> QuerySet[Case]:
    """Cases of the cell waiting for a meeting (to review, watch, support) not yet on this agenda."""
    return (
        Case.objects.visible_to(membership)
        .filter(cell_id=meeting.cell_id, state__in=list(ITEM_KIND_FOR_STATE))
        .exclude(agenda_items__meeting=meeting)
        .order_by("reference")
    )


@transaction.atomic
def agenda_add(*, meeting: Meeting, case: Case, by: Membership) -> AgendaItem:
    """Put a case waiting for the cell on the agenda; its state gives the kind of item."""
    _check_open_for_changes(meeting)
    if case.cell_id != meeting.cell_id:
        raise MeetingError(_("Cette situation n'appartient pas à la cellule."))
    kind = ITEM_KIND_FOR_STATE.get(case.state)  # type: ignore[call-overload]
    if kind is None:
        raise MeetingError(
            _("Seules les situations à examiner, en veille ou en accompagnement peuvent être inscrites.")
        )
    if AgendaItem.objects.filter(meeting=meeting, case=case).exists():
        raise MeetingError(_("Cette situation est déjà inscrite à l'ordre du jour."))
    last = meeting.items.aggregate(m=Max("order"))["m"]
    item = AgendaItem.objects.create(meeting=meeting, case=case, kind=kind, order=(last or 0) + 1)
    record(
        action="meeting.item_added",
        actor=by.user_id,
        cell=meeting.cell_id,
        target=item,
        data={"case": case.pk, "kind": kind},
    )
    return item


@transaction.atomic
def agenda_remove(*, item: AgendaItem, by: Membership) -> None:
    """Remove an item without a decision from an agenda still open for changes."""
    _check_open_for_changes(item.meeting)
    if Decision.objects.filter(item=item).exists():
        raise MeetingError(_("Une décision est enregistrée pour ce point : il ne peut plus être retiré."))
    record(
        action="meeting.item_removed",
        actor=by.user_id,
        cell=item.meeting.cell_id,
        target=item,
        data={"case": item.case_id},
    )
    item.delete()


@transaction.atomic
def agenda_move(*, item: AgendaItem, up: bool, by: Membership) -> None:
    """Swap an item with its neighbour; orders are renumbered 1..n first so gaps never matter."""
    meeting = item.meeting
    _check_open_for_changes(meeting)
    items = list(meeting.items.select_for_update().order_by("order", "pk"))
    index = next(i for i, it in enumerate(items) if it.pk == item.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, it in enumerate(items, start=1):
        it.order = position
    AgendaItem.objects.bulk_update(items, ["order"])
    record(
        action="meeting.item_moved",
        actor=by.user_id,
        cell=meeting.cell_id,
        target=item,
        data={"up": up},
    )


@transaction.atomic
def guest_invite(*, item: AgendaItem, guest: Membership, by: Membership) -> None:
    """Invite a guest of the cell to one item: they attend for it, and see it only during the meeting."""
    meeting = item.meeting
    _check_open_for_changes(meeting)
    if guest.cell_id != meeting.cell_id or not can_be_invited_to_item(guest) or not guest.is_active:
        raise MeetingError(_("Seul un intervenant ponctuel actif de la cellule peut être invité."))
    if not guest.has_accepted_current_charter():
        raise MeetingError(_("Cet intervenant n'a pas accepté la charte de confidentialité."))
    _attendee, created = Attendee.objects.get_or_create(meeting=meeting, membership=guest)
    item.guests.add(guest)
    if created:
        # Told at once, so they find the meeting under « Mes réunions » without a link to type.
        notify(recipients=[guest.user], kind=MEETING_GUEST_INVITED, cell=meeting.cell, target=meeting)
    record(
        action="meeting.guest_invited",
        actor=by.user_id,
        cell=meeting.cell_id,
        target=item,
        data={"guest": guest.pk},
    )


@transaction.atomic
def guest_uninvite(*, item: AgendaItem, guest: Membership, by: Membership) -> None:
    """Withdraw a guest's invitation to an item, before the meeting starts; they are told so."""
    meeting = item.meeting
    _check_open_for_changes(meeting)
    if timezone.now() >= meeting.starts_at or meeting.opened_at is not None:
        raise MeetingError(
            _("La réunion a commencé : l'invitation d'un intervenant ne peut plus être retirée.")
        )
    if not item.guests.filter(pk=guest.pk).exists():
        raise MeetingError(_("Cet intervenant n'est pas invité à ce point."))
    item.guests.remove(guest)
    if not meeting.items.filter(guests=guest).exists():
        # No other item of this meeting: they are no longer expected, and no longer see it.
        Attendee.objects.filter(meeting=meeting, membership=guest).delete()
        notify(recipients=[guest.user], kind=MEETING_GUEST_WITHDRAWN, cell=meeting.cell, target=meeting)
    record(
        action="meeting.guest_uninvited",
        actor=by.user_id,
        cell=meeting.cell_id,
        target=item,
        data={"guest": guest.pk},
    )


# The order of the roll, and of the attendees on the agenda page, which reads both in one query.
ROLL_ORDER = ("membership__role", "membership__user__last_name", "pk")


def attendance_roll(meeting: Meeting, attendees: list[Attendee] | None = None) -> list[Attendee]:
    """The convened members whose presence is recorded at opening (guests attend for an item only).

    `attendees`: the meeting's attendees already read in ROLL_ORDER with their membership and user.
    """
    rows = attendees if attendees is not None else attendee_rows(meeting)
    return [a for a in rows if can_be_convened(a.membership)]


def attendee_rows(meeting: Meeting) -> list[Attendee]:
    return list(meeting.attendees.select_related("membership__user").order_by(*ROLL_ORDER))


@transaction.atomic
def meeting_open(*, meeting: Meeting, attendance: dict[int, str], by: Membership) -> Meeting:
    """Open the séance on its day, recording who is present, excused or absent among the convened.

    `attendance` maps each convened attendee's id to an `Attendance` value; every one is needed.
    """
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_open_for_changes(locked)
    if locked.convened_at is None:
        raise MeetingError(_("Convoquez d'abord les participants."))
    if locked.opened_at is not None:
        raise MeetingError(_("La séance est déjà ouverte."))
    first, last = open_window(locked)
    now = timezone.now()
    if now < first:
        raise MeetingError(
            _("La séance s'ouvre le jour de la réunion, le %(day)s : pas avant.")
            % {"day": _day(locked.starts_at)}
        )
    if now > last:
        raise MeetingError(
            _(
                "Le jour de la réunion (%(day)s) est passé : la séance ne peut plus être ouverte. "
                "Annulez cette réunion et planifiez-en une nouvelle."
            )
            % {"day": _day(locked.starts_at)}
        )
    roll = attendance_roll(locked)
    if any(attendance.get(a.pk) not in Attendance.values for a in roll):
        raise MeetingError(_("Indiquez pour chaque membre convoqué s'il est présent, excusé ou absent."))
    for a in roll:
        a.attendance = attendance[a.pk]
    Attendee.objects.bulk_update(roll, ["attendance"])
    locked.opened_at = now
    locked.save(update_fields=["opened_at"])
    counts = {value: sum(1 for a in roll if a.attendance == value) for value in Attendance.values}
    record(action="meeting.opened", actor=by.user_id, cell=locked.cell_id, target=locked, data=counts)
    meeting.refresh_from_db()
    return locked


def _expected_state(item: AgendaItem) -> str:
    return {v: k for k, v in ITEM_KIND_FOR_STATE.items()}[item.kind]  # type: ignore[index]


def _check_case_state(item: AgendaItem, case: Case) -> None:
    if case.state != _expected_state(item):
        raise MeetingError(
            _("La situation %(ref)s est « %(state)s » : elle n'est plus dans l'état prévu pour ce point.")
            % {"ref": case.reference, "state": State(case.state).label}
        )


@transaction.atomic
def decision_record(
    *,
    item: AgendaItem,
    kind: str,
    responsible_service: str,
    deadline: date | None,
    by: Membership,
    close_reason: str = "",
    consent_on: date | None = None,
    parental_info_on: date | None = None,
    path_referent: str = "",
) -> Decision:
    """Record, or correct, the meeting's closed-list decision on an item.

    The situation does not move yet: decisions stay editable until the president validates the
    relevé, which applies them (minutes_validate). What can be checked now is checked now, so the
    meeting hears of a missing consent date or the watch cap while it sits: propose support needs
    the consent date (and for a minor the parental information date); close needs a closed-list
    reason; a watch renewal is capped by the cell's rule.
    """
    meeting = item.meeting
    _check_open_for_changes(meeting)
    if meeting.opened_at is None:
        raise MeetingError(_("Ouvrez d'abord la séance : les décisions se prennent en réunion."))
    if kind not in ALLOWED_DECISIONS[item.kind]:  # type: ignore[index]
        raise MeetingError(
            _("La décision « %(decision)s » ne s'applique pas à un point « %(item)s ».")
            % {"decision": DecisionKind(kind).label, "item": ItemKind(item.kind).label}
        )
    case = Case.objects.select_related("cell").get(pk=item.case_id)
    _check_case_state(item, case)
    if kind == DecisionKind.CLOSE and close_reason not in CloseReason.values:
        raise MeetingError(_("Choisissez le motif de clôture dans la liste."))
    if deadline is not None and deadline < timezone.localtime(meeting.starts_at).date():
        raise MeetingError(_("L'échéance ne peut pas précéder la réunion."))
    try:
        if kind == DecisionKind.PROPOSE_SUPPORT:
            check_consent(case=case, consent_on=consent_on, parental_info_on=parental_info_on)
        if kind == DecisionKind.WATCH:
            check_watch_renewal(case)
    except (TransitionError, SupportError) as exc:
        raise MeetingError(str(exc)) from exc
    values = {
        "kind": kind,
        "responsible_service": responsible_service,
        "deadline": deadline,
        # Only what the decision uses is kept: a stale reason or date never travels to validation.
        "close_reason": close_reason if kind == DecisionKind.CLOSE else "",
        "consent_on": consent_on if kind == DecisionKind.PROPOSE_SUPPORT else None,
        "parental_info_on": parental_info_on if kind == DecisionKind.PROPOSE_SUPPORT else None,
        "path_referent": path_referent if kind == DecisionKind.PROPOSE_SUPPORT else "",
        "recorded_by": by,
    }
    decision = Decision.objects.select_for_update().filter(item=item).first()
    if decision is None:
        decision = Decision.objects.create(item=item, **values)
        action = "meeting.decision_recorded"
    else:
        for field, value in values.items():
            setattr(decision, field, value)
        decision.save()
        action = "meeting.decision_changed"
    record(
        action=action,
        actor=by.user_id,
        cell=meeting.cell_id,
        target=decision,
        data={"case": case.pk, "kind": kind, "meeting": meeting.pk},
    )
    return decision


def _apply_decision(meeting: Meeting, item: AgendaItem, decision: Decision, by: Membership) -> None:
    """Move the item's case as its decision says, through case_transition, with `by` as the actor."""
    case = Case.objects.select_for_update().get(pk=item.case_id)
    _check_case_state(item, case)
    note = _("Relevé de la réunion du %(day)s validé : %(decision)s") % {
        "day": _day(meeting.starts_at),
        "decision": DecisionKind(decision.kind).label,
    }
    try:
        if decision.kind == DecisionKind.PROPOSE_SUPPORT:
            check_consent(
                case=case, consent_on=decision.consent_on, parental_info_on=decision.parental_info_on
            )
        for state in decision_path(case.state, decision.kind):
            if state == State.CLOSED:
                case_close(case=case, reason=decision.close_reason, by=by, note=note)
            else:
                case_transition(case=case, to_state=state, by=by, note=note)
        if decision.kind == DecisionKind.PROPOSE_SUPPORT:
            support_plan_start(
                case=case,
                consent_on=decision.consent_on,
                parental_info_on=decision.parental_info_on,
                path_referent=decision.path_referent,
                by=by,
            )
        if decision.kind == DecisionKind.CLOSE:
            support_plan_end(case=case, by=by)
    except (TransitionError, SupportError) as exc:
        raise MeetingError(_("%(ref)s : %(reason)s") % {"ref": case.reference, "reason": str(exc)}) from exc


@transaction.atomic
def minutes_validate(*, meeting: Meeting, by: Membership) -> Meeting:
    """The president validates the relevé once every item has its decision, and so applies them.

    Each decision moves its situation (the mapping is cases/states.py DECISION_TARGETS), with the
    president as the actor, in this one transaction: if any situation cannot move, nothing is
    validated and nothing moves. Members' scope for the meeting's cases then ends.
    """
    if not can_validate_minutes(by, meeting):
        raise MeetingError(_("Seul le président de la cellule valide le relevé de décisions."))
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_open_for_changes(locked)
    if locked.opened_at is None:
        raise MeetingError(_("La réunion ne s'est pas tenue : il n'y a pas de relevé à valider."))
    items = list(locked.items.select_related("decision").order_by("order", "pk"))
    pending = sum(1 for item in items if not hasattr(item, "decision"))
    if pending:
        raise MeetingError(
            ngettext(
                "%(n)d point de l'ordre du jour sans décision : le relevé est incomplet.",
                "%(n)d points de l'ordre du jour sans décision : le relevé est incomplet.",
                pending,
            )
            % {"n": pending}
        )
    for item in items:
        _apply_decision(locked, item, item.decision, by)
    locked.minutes_validated_at = timezone.now()
    locked.minutes_validated_by = by
    locked.save(update_fields=["minutes_validated_at", "minutes_validated_by"])
    record(
        action="meeting.minutes_validated",
        actor=by.user_id,
        cell=locked.cell_id,
        target=locked,
        data={"applied": len(items)},
    )
    meeting.refresh_from_db()
    return locked


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, by: Membership) -> Meeting:
    """Cancel a meeting not yet held; those convened or invited are told. The agenda stays as history."""
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_open_for_changes(locked)
    if locked.opened_at is not None:
        raise MeetingError(_("La séance est ouverte : la réunion ne peut plus être annulée."))
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["cancelled_at"])
    if locked.convened_at is not None:
        users = [a.membership.user for a in locked.attendees.select_related("membership__user")]
        notify(recipients=users, kind=MEETING_CANCELLED, cell=locked.cell, target=locked)
    record(action="meeting.cancelled", actor=by.user_id, cell=locked.cell_id, target=locked)
    meeting.refresh_from_db()
    return locked
