"""Urgent signalements awaiting pre-qualification (docs/rules.md §3.1).

The State members of the cell are alerted of urgency without reading the case: they get a
count of the cell's urgent signalements still awaiting qualification, never a reference or a
link into a case they may not read. Managers read the cases themselves through `visible_to`.
"""

from __future__ import annotations

from typing import Any

from cmer.cases.models import Case, CaseQuerySet
from cmer.cases.states import State

AWAITING = (State.RECEIVED, State.PREQUALIFICATION)


def urgent_awaiting(cases: CaseQuerySet) -> CaseQuerySet:
    return cases.filter(urgent=True, state__in=AWAITING).order_by("prequalification_due_at", "pk")


def urgent_awaiting_count(membership: Any) -> int:
    """How many urgent signalements of the membership's cell await qualification: a count only."""
    return urgent_awaiting(Case.objects.filter(cell_id=membership.cell_id)).count()
