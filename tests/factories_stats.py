"""Situations in bulk for the statistics: persons, cases, referrals, transitions, decisions, plans.

Rows go in with bulk_create (10,000 cases in seconds); the identity fields still pass through the
encrypted field. Dates are set inside the given year so the tests do not depend on today.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from cmer.cases.models import Case, Person, SupportPlan, Transition
from cmer.cases.states import CloseReason, State
from cmer.core import crypto
from cmer.meetings.models import AgendaItem, Attendee, Decision, DecisionKind, ItemKind, Meeting
from cmer.referrals.models import Referral, Source
from cmer.training.models import CatalogueVersion
from tests.personas import CellWorld

_seq = itertools.count(1)


@dataclass(frozen=True)
class Situation:
    """One situation to create: month of receipt (1-12), source, age at opening, how it went."""

    month: int = 3
    source: str = Source.SCHOOL
    age: int = 16
    exit: str = State.TO_REVIEW  # pre-qualification outcome
    decision: str = ""  # a DecisionKind, or "" for none
    closed: str = ""  # a CloseReason, or "" for still open
    support_days: int | None = None  # length of an ended support plan


def at(year: int, month: int, day: int = 10) -> datetime:
    return timezone.make_aware(datetime(year, month, day, 10, 0))


def bulk_situations(cw: CellWorld, year: int, situations: list[Situation]) -> list[Case]:
    """Create the situations with every row the statistics count, in a handful of queries."""
    cell = cw.cell
    kid = crypto.current_key_id()
    n0 = next(_seq) * 100_000
    persons = Person.objects.bulk_create(
        [
            Person(
                cell=cell,
                last_name=f"Canari{n0 + i}",
                first_name="Témoin",
                birth_date=f"{year - s.age}-06-01",
                birth_year=year - s.age,
                name_index=f"stats-{n0 + i}",
                key_id=kid,
            )
            for i, s in enumerate(situations)
        ]
    )
    cases = Case.objects.bulk_create(
        [
            Case(
                cell=cell,
                reference=f"{cell.code}-{year}-S{n0 + i}",
                person=person,
                state=State.CLOSED if s.closed else s.exit,
                is_minor=s.age < 18,
                opened_at=at(year, s.month),
                prequalification_due=date(year, s.month, 25),
                closed_at=at(year, min(s.month + 1, 12), 20) if s.closed else None,
                close_reason=s.closed,
            )
            for i, (s, person) in enumerate(zip(situations, persons, strict=True))
        ]
    )
    coordinator = cw.members["coordinator"]
    version = CatalogueVersion.objects.current()
    Referral.objects.bulk_create(
        [
            Referral(
                cell=cell,
                reference=f"AR-{cell.code}-S{n0 + i}",
                submitted_by=cw.members["reporter"],
                source=s.source,
                received_at=at(year, s.month),
                description="Fait constaté.",
                person=case.person,
                case=case,
                catalogue_version=version,
            )
            for i, (s, case) in enumerate(zip(situations, cases, strict=True))
        ]
    )
    Transition.objects.bulk_create(
        [
            Transition(
                case=case,
                from_state=State.PREQUALIFICATION,
                to_state=s.exit,
                by=coordinator,
                at=at(year, s.month, 17),
            )
            for s, case in zip(situations, cases, strict=True)
        ]
    )
    with_decision = [(s, c) for s, c in zip(situations, cases, strict=True) if s.decision]
    if with_decision:
        meeting = Meeting.objects.create(
            cell=cell,
            starts_at=at(year, 11, 5),
            ends_at=at(year, 11, 5) + timedelta(hours=2),
            place="Salle B",
            opened_at=at(year, 11, 5),
            minutes_validated_at=at(year, 11, 6),
            minutes_validated_by=cw.members["president"],
        )
        Attendee.objects.bulk_create(
            [
                Attendee(
                    meeting=meeting,
                    membership=cw.members[r],
                    attendance="present" if r != "state_member" else "excused",
                )
                for r in ("president", "coordinator", "member", "state_member")
            ]
        )
        items = AgendaItem.objects.bulk_create(
            [
                AgendaItem(meeting=meeting, case=c, kind=ItemKind.REVIEW, order=i)
                for i, (_s, c) in enumerate(with_decision)
            ]
        )
        Decision.objects.bulk_create(
            [
                Decision(item=item, kind=s.decision, responsible_service="CCAS", recorded_by=coordinator)
                for item, (s, _c) in zip(items, with_decision, strict=True)
            ]
        )
        planner_statistics(AgendaItem, Decision)
        # recorded_at is auto_now_add: move it into the meeting's day, as in real life.
        Decision.objects.filter(item__meeting=meeting).update(recorded_at=meeting.starts_at)
    SupportPlan.objects.bulk_create(
        [
            SupportPlan(
                case=case,
                started_on=date(year, 1, 2),
                consent_on=date(year, 1, 2),
                ended_on=date(year, 1, 2) + timedelta(days=s.support_days),
            )
            for s, case in zip(situations, cases, strict=True)
            if s.support_days is not None
        ]
    )
    return cases


def planner_statistics(*models: type) -> None:
    """Fresh statistics of the tables just filled, on PostgreSQL. Its planner reads them, and bulk
    inserts leave them as they were: the join of this factory's UPDATE over 10,000 new decisions,
    planned as if the tables were nearly empty, ran for more than ten minutes in CI. ANALYZE counts
    the rows of the test's own transaction and is rolled back with it."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def mixed(n: int) -> list[Situation]:
    """n varied situations: every table gets both large and small counts."""
    sources = [Source.SCHOOL, Source.SCHOOL, Source.TRAINED_AGENT, Source.FAMILY, Source.LANDLORD]
    out = []
    for i in range(n):
        out.append(
            Situation(
                month=1 + i % 10,
                source=sources[i % len(sources)],
                age=[14, 16, 19, 23, 30][i % 5],
                exit=[State.TO_REVIEW, State.DISMISSED, State.TO_REVIEW, State.COMMON_LAW][i % 4],
                decision=[DecisionKind.PROPOSE_SUPPORT, DecisionKind.WATCH, ""][i % 3],
                closed=[CloseReason.END_OF_SUPPORT, "", "", CloseReason.MOVED_AWAY][i % 4],
                support_days=[40, 120, None, 400][i % 4],
            )
        )
    return out
