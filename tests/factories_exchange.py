"""Factories for the exchange with the State: go through the real services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cmer.cases.states import State
from cmer.exchange.models import PrefectInformation, Transmission
from cmer.exchange.services import (
    prefect_information_record,
    transmission_approve,
    transmission_prepare,
)
from cmer.notifications.models import Notification
from tests.factories import make_case, make_referral
from tests.personas import CellWorld


def make_case_with_facts(cw: CellWorld, facts: int = 2, **kw):  # type: ignore[no-untyped-def]
    case = make_case(cw, State.REVIEWED, **kw)
    make_referral(cw, case=case, observations=facts)
    return case


def make_transmission(
    cw: CellWorld, *, sent: bool = False, case=None, by_role: str = "coordinator"
) -> Transmission:  # type: ignore[no-untyped-def]
    case = case or make_case_with_facts(cw)
    facts = list(case.referrals.first().observations.all())
    t = transmission_prepare(
        case=case,
        recipient="prefecture_ged",
        legal_basis="protocol",
        purpose="evaluation",
        observations=facts,
        by=cw.members[by_role],
    )
    if sent:
        t = transmission_approve(transmission=t, by=cw.members["president"])
    return t


def age_transmission(t: Transmission, days: int) -> Transmission:
    """Pretend the transmission was approved `days` ago (time travel for overdue feedback)."""
    Transmission.objects.filter(pk=t.pk).update(approved_at=timezone.now() - timedelta(days=days))
    t.refresh_from_db()
    return t


def make_prefect_info(cw: CellWorld, *, by_role: str = "coordinator", case=None) -> PrefectInformation:  # type: ignore[no-untyped-def]
    return prefect_information_record(
        situation="subsidy", received_on=timezone.localdate(), by=cw.members[by_role], case=case
    )


def make_notification(
    cw: CellWorld, role: str = "coordinator", kind: str = "action_due", target_id: int | None = None
) -> Notification:
    """A notice without e-mail; its target (an action id) only matters for the link it computes."""
    return Notification.objects.create(
        recipient=cw.user(role),
        cell=cw.cell,
        kind=kind,
        target_type="cases.action" if target_id else "",
        target_id=target_id,
    )
