"""Sections other apps add to the situation page, so that it is the hub of the situation.

The situation page shows its own summary, signalements and history; the meetings, support and
exchange apps register here (from their AppConfig.ready) a function returning their section for a
membership and a case, or None when the membership may see none of it. Each provider reads through
its own `visible_to` and predicates (docs/rules.md §2), and runs a fixed number of queries whatever
the number of rows (docs/performance.md), so the page never grows N+1. Cases never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.cases.models import Case


@dataclass(frozen=True)
class CaseSection:
    anchor: str  # the section's id on the page, for the summary menu and links back
    title: str | Promise
    template: str  # rendered with `section` (this object) and `case` in its context
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100
    # Lines added to the page's summary: (label, value) pairs, e.g. the next meeting.
    summary: tuple[tuple[str | Promise, str], ...] = ()


SectionFn = Callable[["Membership", "Case"], CaseSection | None]
_providers: list[SectionFn] = []


def register(fn: SectionFn) -> SectionFn:
    """Add a provider: it returns its section for this membership and case, or None."""
    if fn not in _providers:
        _providers.append(fn)
    return fn


def sections_for(membership: Membership, case: Case) -> list[CaseSection]:
    sections = [s for fn in _providers if (s := fn(membership, case)) is not None]
    return sorted(sections, key=lambda s: s.order)
