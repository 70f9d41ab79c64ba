"""Shared factories for situations: persons, cases in any state, referrals with observations.

They go through the real services where it matters (identity encryption, blind index, reference
counter) and set states directly for speed: a test of the state machine uses case_transition.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from cmer.accounts.models import Cell, Membership
from cmer.cases.models import Case, Person
from cmer.cases.persons import person_create
from cmer.cases.services import case_open
from cmer.cases.states import State
from cmer.referrals.models import Observation, Referral, Source
from cmer.training.models import CatalogueVersion, Indicator
from tests.personas import CellWorld

_seq = itertools.count(1)


def make_person(
    cell: Cell,
    *,
    last_name: str = "",
    first_name: str = "Alex",
    birth_date: date | None = None,
    **kw: Any,
) -> Person:
    return person_create(
        cell=cell,
        last_name=last_name or f"Personne{next(_seq)}",
        first_name=first_name,
        birth_date=birth_date or date(2008, 3, 14),
        **kw,
    )


def make_case(
    cell_world: CellWorld,
    state: str = State.RECEIVED,
    *,
    person: Person | None = None,
    by: Membership | None = None,
    **kw: Any,
) -> Case:
    """A case of the cell in `state` (set directly, no transitions recorded). kw: Case fields."""
    by = by or cell_world.members["coordinator"]
    case = case_open(person=person or make_person(cell_world.cell), by=by)
    fields: dict[str, Any] = {"state": state, **kw}
    if state in (State.CLOSED, State.ARCHIVED):
        fields.setdefault("closed_at", timezone.now())
        fields.setdefault("close_reason", "no_further_elements")
    if state == State.ARCHIVED:
        fields.setdefault("archived_at", timezone.now())
    for name, value in fields.items():
        setattr(case, name, value)
    case.save()
    return case


def current_indicators() -> list[Indicator]:
    version = CatalogueVersion.objects.current()
    assert version is not None, "catalogue v1 is loaded by migration training.0002"
    return list(version.indicators.all())


def make_referral(
    cell_world: CellWorld,
    *,
    by: Membership | None = None,
    case: Case | None = None,
    source: str = Source.TRAINED_AGENT,
    urgent: bool = False,
    observations: int = 1,
    description: str = "Absences répétées constatées.",
) -> Referral:
    """A referral by `by` (default: the cell's reporter) on `case` (default: a new received case)."""
    by = by or cell_world.members["reporter"]
    case = case or make_case(cell_world)
    version = CatalogueVersion.objects.current()
    referral = Referral.objects.create(
        cell=cell_world.cell,
        reference=f"AR-{cell_world.cell.code}-{next(_seq):06d}",
        submitted_by=by,
        source=source,
        description=description,
        urgent=urgent,
        person=case.person,
        case=case,
        catalogue_version=version,
    )
    indicators = current_indicators()
    for i in range(observations):
        Observation.objects.create(
            referral=referral,
            indicator=indicators[i % len(indicators)],
            observed_on=timezone.localdate() - timedelta(days=i + 1),
            mode="direct",
            fact="Fait constaté le jour même.",
        )
    return referral


def certify(cell_world: CellWorld, *roles: str) -> None:
    """Give the members of these roles a valid certification (the intake's gate for M and R)."""
    from cmer.training.models import Certification
    from tests.factories_training import make_certification

    for role in roles or ("member", "reporter"):
        user = cell_world.user(role)
        if not Certification.objects.valid().filter(user=user).exists():
            make_certification(cell_world, user)
