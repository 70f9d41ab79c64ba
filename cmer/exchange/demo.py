"""Demo exchange with the State: a transmission in each stage, overdue feedback, préfet information,
threat briefings. Written through the real services, then back-dated. Skipped for a cell that
already has transmissions, so seed_demo can re-run."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from cmer.accounts.demo import CELLS, demo_email
from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role
from cmer.cases.models import Case
from cmer.cases.states import State
from cmer.exchange import services
from cmer.exchange.models import Transmission
from cmer.referrals.models import Observation


def _member(cell: Cell, role: str) -> Membership | None:
    return Membership.objects.filter(cell=cell, role=role, user__email=demo_email(role, cell.code)).first()


def _prepare(case: Case, by: Membership, recipient: str, purpose: str) -> Transmission | None:
    facts = list(Observation.objects.filter(referral__case=case)[:3])
    if not facts:
        return None
    return services.transmission_prepare(
        case=case, recipient=recipient, legal_basis="protocol", purpose=purpose, observations=facts, by=by
    )


def _backdate(t: Transmission, days: int) -> None:
    when = timezone.now() - timedelta(days=days)
    Transmission.objects.filter(pk=t.pk).update(prepared_at=when - timedelta(days=1), approved_at=when)


def seed(faker: Any) -> None:
    today = timezone.localdate()
    for spec in CELLS:
        cell = Cell.objects.filter(code=spec["code"]).first()
        if cell is None or Transmission.objects.filter(cell=cell).exists():
            continue
        coordinator, president = _member(cell, Role.COORDINATOR), _member(cell, Role.PRESIDENT)
        state = _member(cell, Role.STATE_MEMBER)
        if coordinator is None or president is None or state is None:
            continue
        cases = list(
            Case.objects.filter(
                cell=cell,
                state__in=[State.TRANSMITTED, State.URGENT_TRANSMITTED, State.REVIEWED, State.SUPPORT],
            ).order_by("opened_at")
        )
        plan = [
            ("prefecture_ged", "evaluation", 60, "taken_into_account"),  # sent, feedback received
            ("prefecture_ged", "imminent_danger", 45, None),  # sent, feedback overdue
            ("cpraf", "prevention", 5, None),  # sent recently, feedback awaited
            ("cnapr", "information", None, None),  # draft awaiting the president
        ]
        for case, (recipient, purpose, days, outcome) in zip(cases, plan, strict=False):
            t = _prepare(case, coordinator, recipient, purpose)
            if t is None or days is None:
                continue
            services.transmission_approve(transmission=t, by=president)
            _backdate(t, days)
            t.refresh_from_db()
            if outcome:
                services.feedback_record(
                    transmission=t, outcome=outcome, received_on=today - timedelta(days=days - 20), by=state
                )
        if cases:
            services.prefect_information_record(
                situation="supported_person", received_on=today - timedelta(days=12), by=state, case=cases[0]
            )
        services.prefect_information_record(
            situation="subsidy", received_on=today - timedelta(days=30), by=coordinator
        )
        past = services.briefing_schedule(scheduled_on=today - timedelta(days=120), by=president)
        services.briefing_log(briefing=past, held=True, by=president)
        services.briefing_schedule(scheduled_on=today + timedelta(days=60), by=coordinator)
