"""Changes in the exchange with the State. Each is atomic and writes its audit event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import TRANSMISSION_READERS
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.cases.states import State
from cmer.core.errors import DomainError
from cmer.exchange import permissions as perms
from cmer.exchange.models import (
    FeedbackOutcome,
    LegalBasis,
    PrefectInformation,
    PrefectSituation,
    Purpose,
    Recipient,
    StateFeedback,
    ThreatBriefing,
    Transmission,
    TransmissionStatus,
)
from cmer.exchange.notifications import FEEDBACK_OVERDUE, TRANSMISSION_TO_APPROVE
from cmer.notifications.services import notify
from cmer.referrals.models import Observation


class ExchangeError(DomainError):
    """A refused change in the exchange with the State; nothing was written."""


def _active_members(cell_id: int, roles: Iterable[str]) -> QuerySet[Membership]:
    return Membership.objects.active().filter(cell_id=cell_id, role__in=list(roles)).select_related("user")


def _next_reference(cell: Cell) -> str:
    # The cell row is locked by the caller: two preparations never draw the same number.
    year = timezone.localdate().year
    prefix = f"{cell.code}-T{year}-"
    count = Transmission.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{count + 1:04d}"


@transaction.atomic
def transmission_prepare(
    *,
    case: Case,
    recipient: str,
    legal_basis: str,
    purpose: str,
    observations: Iterable[Observation],
    by: Membership,
    recipient_detail: str = "",
    channel: str = "platform",
) -> Transmission:
    """A draft transmission of facts of one case; it is not sent until the president approves it."""
    if not perms.can_prepare_transmission(by):
        raise ExchangeError(_("Seuls le président et le coordonnateur préparent une transmission."))
    if case.cell_id != by.cell_id:
        raise ExchangeError(_("Cette situation n'appartient pas à votre cellule."))
    if case.state == State.ARCHIVED:
        raise ExchangeError(_("Une situation archivée ne peut plus faire l'objet d'une transmission."))
    if recipient not in Recipient.values:
        raise ExchangeError(_("Destinataire inconnu : choisissez-le dans la liste."))
    if legal_basis not in LegalBasis.values or purpose not in Purpose.values:
        raise ExchangeError(_("Base légale ou finalité inconnue : choisissez-les dans la liste."))
    facts = list(observations)
    if not facts:
        raise ExchangeError(_("Choisissez au moins un fait observé à transmettre."))
    if any(o.referral.case_id != case.pk for o in facts):
        raise ExchangeError(_("Un fait choisi n'appartient pas à cette situation."))
    if recipient != Recipient.OTHER_STATE:
        recipient_detail = ""
    cell = Cell.objects.select_for_update().get(pk=case.cell_id)
    transmission = Transmission.objects.create(
        cell=cell,
        case=case,
        reference=_next_reference(cell),
        recipient=recipient,
        recipient_detail=recipient_detail.strip()[:120],
        legal_basis=legal_basis,
        purpose=purpose,
        channel=channel,
        prepared_by=by,
    )
    transmission.observations.set(facts)
    record(
        action="transmission.prepare",
        actor=by.user_id,
        cell=cell.pk,
        target=transmission,
        data={"case": case.pk, "recipient": recipient, "basis": legal_basis, "facts": len(facts)},
    )
    approvers = [m.user for m in _active_members(cell.pk, perms.APPROVERS) if m.user_id != by.user_id]
    notify(recipients=approvers, kind=TRANSMISSION_TO_APPROVE, cell=cell, target=transmission)
    return transmission


@transaction.atomic
def transmission_approve(*, transmission: Transmission, by: Membership) -> Transmission:
    """The second person (the president) approves a draft: from then on it counts as sent."""
    locked = Transmission.objects.select_for_update().select_related("prepared_by").get(pk=transmission.pk)
    if locked.cell_id != by.cell_id:
        raise ExchangeError(_("Cette transmission n'appartient pas à votre cellule."))
    if not perms.can_approve_transmissions(by):
        raise ExchangeError(_("Seul le président approuve une transmission."))
    if locked.status != TransmissionStatus.DRAFT:
        raise ExchangeError(_("Cette transmission est déjà approuvée : elle ne peut pas l'être deux fois."))
    if locked.prepared_by.user_id == by.user_id:
        raise ExchangeError(
            _(
                "Vous avez préparé cette transmission : une autre personne doit l'approuver "
                "(règle des deux personnes)."
            ),
            code="two_person_rule",
        )
    locked.status = TransmissionStatus.SENT
    locked.approved_by = by
    locked.approved_at = timezone.now()
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    record(
        action="transmission.approve",
        actor=by.user_id,
        cell=locked.cell_id,
        target=locked,
        data={"case": locked.case_id, "prepared_by": locked.prepared_by_id, "channel": locked.channel},
    )
    return locked


@transaction.atomic
def transmission_acknowledge(*, transmission: Transmission, on: date, by: Membership) -> Transmission:
    """Record that the recipient acknowledged receipt of a sent transmission."""
    locked = Transmission.objects.select_for_update().get(pk=transmission.pk)
    if locked.cell_id != by.cell_id:
        raise ExchangeError(_("Cette transmission n'appartient pas à votre cellule."))
    if locked.status != TransmissionStatus.SENT:
        raise ExchangeError(_("Seule une transmission envoyée et pas encore reçue peut être marquée reçue."))
    if on > timezone.localdate() or on < timezone.localdate(locked.approved_at):
        raise ExchangeError(_("La date de réception doit être entre l'envoi et aujourd'hui."))
    locked.status = TransmissionStatus.ACKNOWLEDGED
    locked.acknowledged_on = on
    locked.save(update_fields=["status", "acknowledged_on"])
    record(action="transmission.acknowledge", actor=by.user_id, cell=locked.cell_id, target=locked)
    return locked


@transaction.atomic
def feedback_record(
    *, transmission: Transmission, outcome: str, received_on: date, by: Membership
) -> StateFeedback:
    """The State's feedback on a sent transmission: one closed-list value and its date, nothing else."""
    locked = Transmission.objects.select_for_update().get(pk=transmission.pk)
    if locked.cell_id != by.cell_id:
        raise ExchangeError(_("Cette transmission n'appartient pas à votre cellule."))
    if not perms.can_record_feedback(by):
        raise ExchangeError(
            _("Le retour de l'État est enregistré par un membre de l'État ou le coordonnateur.")
        )
    if not locked.is_sent:
        raise ExchangeError(
            _("Cette transmission n'est pas encore envoyée : aucun retour ne peut y être attaché.")
        )
    if StateFeedback.objects.filter(transmission=locked).exists():
        raise ExchangeError(_("Le retour de l'État sur cette transmission est déjà enregistré."))
    if outcome not in FeedbackOutcome.values:
        raise ExchangeError(_("Retour inconnu : choisissez-le dans la liste."))
    if received_on > timezone.localdate() or received_on < timezone.localdate(locked.approved_at):
        raise ExchangeError(_("La date du retour doit être entre l'envoi et aujourd'hui."))
    feedback = StateFeedback.objects.create(
        transmission=locked, outcome=outcome, received_on=received_on, recorded_by=by
    )
    record(
        action="transmission.feedback",
        actor=by.user_id,
        cell=locked.cell_id,
        target=locked,
        data={"outcome": outcome},
    )
    return feedback


def feedback_overdue_notify(*, now: datetime | None = None) -> int:
    """Notify once per transmission whose feedback is overdue; running it again sends nothing new."""
    sent = 0
    for pk in (
        Transmission.objects.feedback_overdue(now)
        .filter(feedback_overdue_notified_at__isnull=True)
        .values_list("pk", flat=True)
    ):
        sent += _notify_overdue_one(pk, now or timezone.now())
    return sent


@transaction.atomic
def _notify_overdue_one(pk: int, now: datetime) -> int:
    locked = Transmission.objects.select_for_update().get(pk=pk)
    if locked.feedback_overdue_notified_at is not None:
        return 0  # another run got there first
    locked.feedback_overdue_notified_at = now
    locked.save(update_fields=["feedback_overdue_notified_at"])
    notify(
        recipients=[m.user for m in _active_members(locked.cell_id, TRANSMISSION_READERS)],
        kind=FEEDBACK_OVERDUE,
        cell=locked.cell,
        target=locked,
    )
    record(action="transmission.feedback_overdue", cell=locked.cell_id, target=locked)
    return 1


@transaction.atomic
def prefect_information_record(
    *, situation: str, received_on: date, by: Membership, case: Case | None = None
) -> PrefectInformation:
    """Record that the préfet informed the maire, from the closed list of the 2018 instruction."""
    if not perms.can_record_prefect_information(by):
        raise ExchangeError(_("Seuls le coordonnateur et un membre de l'État enregistrent ces informations."))
    if situation not in PrefectSituation.values:
        raise ExchangeError(_("Situation inconnue : choisissez-la dans la liste."))
    if received_on > timezone.localdate():
        raise ExchangeError(_("La date de l'information ne peut pas être dans le futur."))
    if case is not None and case.cell_id != by.cell_id:
        raise ExchangeError(_("Cette situation n'appartient pas à votre cellule."))
    info = PrefectInformation.objects.create(
        cell_id=by.cell_id, situation=situation, received_on=received_on, case=case, recorded_by=by
    )
    record(
        action="prefect_info.record",
        actor=by.user_id,
        cell=by.cell_id,
        target=info,
        data={"situation": situation, "case": case.pk if case else None},
    )
    return info


@transaction.atomic
def briefing_schedule(*, scheduled_on: date, by: Membership) -> ThreatBriefing:
    """Schedule a threat briefing of the maire (at least twice a year); no content is kept."""
    if not perms.can_manage_briefings(by):
        raise ExchangeError(_("Seuls le président et le coordonnateur planifient ces points."))
    briefing = ThreatBriefing.objects.create(cell_id=by.cell_id, scheduled_on=scheduled_on, scheduled_by=by)
    record(action="briefing.schedule", actor=by.user_id, cell=by.cell_id, target=briefing)
    return briefing


@transaction.atomic
def briefing_log(*, briefing: ThreatBriefing, held: bool, by: Membership) -> ThreatBriefing:
    """Log whether a scheduled briefing was held. Once logged, it is not changed."""
    locked = ThreatBriefing.objects.select_for_update().get(pk=briefing.pk)
    if locked.cell_id != by.cell_id:
        raise ExchangeError(_("Ce point n'appartient pas à votre cellule."))
    if locked.held is not None:
        raise ExchangeError(_("Ce point est déjà consigné."))
    if held and locked.scheduled_on > timezone.localdate():
        raise ExchangeError(_("Un point prévu dans le futur ne peut pas être consigné comme tenu."))
    locked.held = held
    locked.logged_by = by
    locked.logged_at = timezone.now()
    locked.save(update_fields=["held", "logged_by", "logged_at"])
    record(action="briefing.log", actor=by.user_id, cell=locked.cell_id, target=locked, data={"held": held})
    return locked
