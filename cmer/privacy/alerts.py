"""Unusual access, for the DPO (docs/rules.md §9): computed from the audit trail, ids and counts only.

The window's events are read once (ids, time, action, outcome) and counted in Python: the same
result on SQLite and PostgreSQL, without per-row time-zone functions in the database.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.conf import settings

from cmer.audit.models import AuditEvent, Outcome

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NIGHT_START, NIGHT_END = 22, 6  # local time, Europe/Paris
DENIALS_PER_DAY = 10


class AlertKind:
    MANY_CASES = "many_cases"
    NIGHT = "night"
    DENIALS = "denials"


@dataclass(frozen=True)
class Alert:
    kind: str
    actor_id: int
    day: dt.date
    count: int


def case_reads_threshold() -> int:
    return int(getattr(settings, "CMER_ALERT_CASE_READS_PER_DAY", 20))


def alerts_for(cell_id: int, *, since: dt.datetime, until: dt.datetime) -> list[Alert]:
    """Per account and local day: more than N distinct cases read, any activity at night, ≥10 refusals."""
    rows = (
        AuditEvent.objects.filter(
            cell_id=cell_id, created_at__gte=since, created_at__lt=until, actor_id__isnull=False
        )
        .values_list("actor_id", "created_at", "action", "target_type", "target_id", "outcome")
        .iterator(chunk_size=5000)
    )
    cases_read: dict[tuple[int, dt.date], set[str]] = defaultdict(set)
    night: Counter = Counter()
    denials: Counter = Counter()
    for actor_id, created_at, action, target_type, target_id, outcome in rows:
        local = created_at.astimezone(PARIS)
        key = (actor_id or 0, local.date())  # never 0: the query excludes events without actor
        if target_type == "cases.case" and action.endswith(".read"):
            cases_read[key].add(target_id)
        if local.hour >= NIGHT_START or local.hour < NIGHT_END:
            night[key] += 1
        if outcome == Outcome.DENIED:
            denials[key] += 1
    threshold = case_reads_threshold()
    alerts = [
        Alert(AlertKind.MANY_CASES, a, d, len(ids))
        for (a, d), ids in cases_read.items()
        if len(ids) > threshold
    ]
    alerts += [Alert(AlertKind.NIGHT, a, d, n) for (a, d), n in night.items()]
    alerts += [Alert(AlertKind.DENIALS, a, d, n) for (a, d), n in denials.items() if n >= DENIALS_PER_DAY]
    return sorted(alerts, key=lambda a: (a.day, a.kind, a.actor_id), reverse=True)
