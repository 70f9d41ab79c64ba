"""Unusual access, for the DPO (product.md §9): computed from the audit trail, ids and counts only."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, TruncDate

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
    events = AuditEvent.objects.filter(
        cell_id=cell_id, created_at__gte=since, created_at__lt=until, actor_id__isnull=False
    ).annotate(day=TruncDate("created_at", tzinfo=PARIS))
    many = (
        events.filter(target_type="cases.case", action__endswith=".read")
        .values("actor_id", "day")
        .annotate(n=Count("target_id", distinct=True))
        .filter(n__gt=case_reads_threshold())
    )
    night = (
        events.annotate(hour=ExtractHour("created_at", tzinfo=PARIS))
        .filter(Q(hour__gte=NIGHT_START) | Q(hour__lt=NIGHT_END))
        .values("actor_id", "day")
        .annotate(n=Count("pk"))
    )
    denials = (
        events.filter(outcome=Outcome.DENIED)
        .values("actor_id", "day")
        .annotate(n=Count("pk"))
        .filter(n__gte=DENIALS_PER_DAY)
    )
    alerts = [
        Alert(kind, row["actor_id"], row["day"], row["n"])
        for kind, rows in (
            (AlertKind.MANY_CASES, many),
            (AlertKind.NIGHT, night),
            (AlertKind.DENIALS, denials),
        )
        for row in rows
    ]
    return sorted(alerts, key=lambda a: (a.day, a.kind, a.actor_id), reverse=True)
