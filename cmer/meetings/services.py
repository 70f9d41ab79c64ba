"""Meetings: scheduling, convocation, agenda, decisions and the relevé. Each change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Subquery
from django.db.models.query import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership
from cmer.accounts.roles import PARTICIPANTS
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.cases.services import TransitionError, case_close, case_transition
from cmer.cases.states import CloseReason, State, decision_path
from cmer.core.errors import DomainError
from cmer.core.french import format_date
from cmer.meetings.models import AgendaItem, Attendee, Decision, DecisionKind, ItemKind, Meeting
from cmer.meetings.notifications import MEETING_CONVENED
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
    current = (
        Charter.objects.filter(cell=cell, effective_date__lte=timezone.localdate())
        .order_by("-version")
        .values("pk")[:1]
    )
    accepted = CharterAcceptance.objects.filter(membership=OuterRef("pk"), charter=Subquery(current))
    rows = (
        Membership.objects.active()
        .filter(cell=cell, role__in=PARTICIPANTS)
        .annotate(accepted=Exists(accepted))
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


def _check_open_for_changes(meeting: Meeting) -> None:
    if meeting.minutes_validated_at is not None:
        raise MeetingError(_("Le relevé de décisions est validé : la réunion ne peut plus être modifiée."))


@transaction.atomic
def meeting_schedule(
    *, cell: Cell, starts_at: datetime, ends_at: datetime, place: str, by: Membership
) -> Meeting:
    """Schedule a meeting of the cell; it ends after it starts."""
    if by.cell_id != cell.pk:
        raise MeetingError(_("Cette cellule n'est pas la vôtre."))
    if ends_at <= starts_at:
        raise MeetingError(_("La fin de la réunion doit suivre son début."))
    meeting = Meeting.objects.create(cell=cell, starts_at=starts_at, ends_at=ends_at, place=place)
    record(action="meeting.scheduled", actor=by.user_id, cell=cell.pk, target=meeting)
    return meeting


@transaction.atomic
def meeting_convene(*, meeting: Meeting, memberships: list[Membership], by: Membership) -> list[Attendee]:
    """Convene active members of the cell who accepted the current charter; notify those newly convened."""
    _check_open_for_changes(meeting)
    allowed = {c.membership.pk: c for c in convenable_memberships(meeting.cell)}
    if not memberships:
        raise MeetingError(_("Choisissez au moins un participant."))
    for m in memberships:
        entry = allowed.get(m.pk)
        if entry is None:
            raise MeetingError(_("Un des participants choisis ne peut pas être convoqué dans cette cellule."))
        if entry.reason:
            raise MeetingError(_("Un des participants choisis n'a pas accepté la charte de confidentialité."))
    existing = set(meeting.attendees.values_list("membership_id", flat=True))
    new = [Attendee(meeting=meeting, membership=m) for m in memberships if m.pk not in existing]
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
        data={"added": len(new)},
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
    if meeting.convened_at is not None and created:
        notify(
            recipients=[guest.user],
            kind=MEETING_CONVENED,
            cell=meeting.cell,
            target=meeting,
        )
    record(
        action="meeting.guest_invited",
        actor=by.user_id,
        cell=meeting.cell_id,
        target=item,
        data={"guest": guest.pk},
    )


@transaction.atomic
def meeting_open(*, meeting: Meeting, by: Membership) -> Meeting:
    """Open the session of a convened meeting (the screen then starts with the confidentiality reminder)."""
    _check_open_for_changes(meeting)
    if meeting.convened_at is None:
        raise MeetingError(_("Convoquez d'abord les participants."))
    if meeting.opened_at is None:
        meeting.opened_at = timezone.now()
        meeting.save(update_fields=["opened_at"])
        record(action="meeting.opened", actor=by.user_id, cell=meeting.cell_id, target=meeting)
    return meeting


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
    """Record the meeting's closed-list decision on an item and move the case accordingly.

    Propose support needs the person's consent date (and for a minor the parental information
    date); close needs a closed-list reason; a watch renewal is capped by the cell's rule.
    Everything happens in one transaction: a refusal at any step leaves nothing changed.
    """
    meeting = item.meeting
    _check_open_for_changes(meeting)
    if meeting.opened_at is None:
        raise MeetingError(_("Ouvrez d'abord la séance : les décisions se prennent en réunion."))
    if Decision.objects.filter(item=item).exists():
        raise MeetingError(_("Une décision est déjà enregistrée pour ce point."))
    if kind not in ALLOWED_DECISIONS[item.kind]:  # type: ignore[index]
        raise MeetingError(
            _("La décision « %(decision)s » ne s'applique pas à un point « %(item)s ».")
            % {"decision": DecisionKind(kind).label, "item": ItemKind(item.kind).label}
        )
    case = Case.objects.select_for_update().get(pk=item.case_id)
    expected = {v: k for k, v in ITEM_KIND_FOR_STATE.items()}[item.kind]  # type: ignore[index]
    if case.state != expected:
        raise MeetingError(
            _("La situation %(ref)s est « %(state)s » : elle n'est plus dans l'état prévu pour ce point.")
            % {"ref": case.reference, "state": State(case.state).label}
        )
    if kind == DecisionKind.CLOSE and close_reason not in CloseReason.values:
        raise MeetingError(_("Choisissez le motif de clôture dans la liste."))
    if deadline is not None and deadline < timezone.localtime(meeting.starts_at).date():
        raise MeetingError(_("L'échéance ne peut pas précéder la réunion."))
    # The history of the case reads in plain French: the meeting's date and the decision's label.
    note = _("Décision de la réunion du %(date)s : %(decision)s.") % {
        "date": format_date(meeting.starts_at),
        "decision": DecisionKind(kind).label,
    }
    try:
        if kind == DecisionKind.PROPOSE_SUPPORT:
            # Checked before any state change, so a refusal explains itself before anything moves.
            check_consent(case=case, consent_on=consent_on, parental_info_on=parental_info_on)
        # The watch renewal cap is enforced by case_transition itself (same rule for every caller).
        for state in decision_path(case.state, kind):
            if state == State.CLOSED:
                case_close(case=case, reason=close_reason, by=by, note=note)
            else:
                case_transition(case=case, to_state=state, by=by, note=note)
        if kind == DecisionKind.PROPOSE_SUPPORT:
            support_plan_start(
                case=case,
                consent_on=consent_on,
                parental_info_on=parental_info_on,
                path_referent=path_referent,
                by=by,
            )
        if kind == DecisionKind.CLOSE:
            support_plan_end(case=case, by=by)
    except (TransitionError, SupportError) as exc:
        raise MeetingError(str(exc)) from exc
    decision = Decision.objects.create(
        item=item, kind=kind, responsible_service=responsible_service, deadline=deadline, recorded_by=by
    )
    record(
        action="meeting.decision_recorded",
        actor=by.user_id,
        cell=meeting.cell_id,
        target=decision,
        data={"case": case.pk, "kind": kind, "meeting": meeting.pk},
    )
    return decision


@transaction.atomic
def minutes_validate(*, meeting: Meeting, by: Membership) -> Meeting:
    """The president validates the relevé once every item has its decision; members' scope then ends."""
    if not can_validate_minutes(by, meeting):
        raise MeetingError(_("Seul le président de la cellule valide le relevé de décisions."))
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _check_open_for_changes(locked)
    if locked.opened_at is None:
        raise MeetingError(_("La réunion ne s'est pas tenue : il n'y a pas de relevé à valider."))
    pending = locked.items.filter(decision__isnull=True).count()
    if pending:
        raise MeetingError(
            ngettext(
                "%(n)d point de l'ordre du jour sans décision : le relevé est incomplet.",
                "%(n)d points de l'ordre du jour sans décision : le relevé est incomplet.",
                pending,
            )
            % {"n": pending}
        )
    locked.minutes_validated_at = timezone.now()
    locked.minutes_validated_by = by
    locked.save(update_fields=["minutes_validated_at", "minutes_validated_by"])
    record(action="meeting.minutes_validated", actor=by.user_id, cell=locked.cell_id, target=locked)
    meeting.refresh_from_db()
    return locked
