"""Background jobs (django-tasks, run by `manage.py db_worker`), enqueued daily by schedule_purges.

Both jobs are idempotent: run twice, or killed and rerun, they end in the same state.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from cmer.audit.services import audit_purge, audit_redact
from cmer.privacy.purge import purge_all
from cmer.privacy.retention import audit_cell_retention_days, audit_retention_days
from cmer.privacy.services import rights_reminders_send


@task()
def daily_purge(today: str | None = None) -> int:
    """Purge every active cell for real; returns the number of cases destroyed."""
    day = dt.date.fromisoformat(today) if today else None
    reports = purge_all(today=day, wet_run=True, trigger="task")
    return sum(report.counts.get("cases.Case", 0) for report in reports)


@task()
def daily_audit_purge() -> dict[str, int]:
    """Apply the audit retention; the chain stays verifiable throughout (ADR 0008).

    First delete the platform's oldest events, past the longest validated retention of the cells
    (at most CMER_AUDIT_RETENTION_DAYS; anchor), then redact each cell's events past its own
    validated value. Returns the counts of both.
    """
    deleted = audit_purge(retention_days=audit_retention_days(), wet_run=True).deleted
    redacted = sum(
        audit_redact(cell_id=cell_id, retention_days=days)
        for cell_id, days in audit_cell_retention_days().items()
    )
    return {"deleted": deleted, "redacted": redacted}


@task()
def rights_reminders(today: str | None = None) -> int:
    """Remind DPOs of rights requests whose legal deadline is 7 days away or less."""
    return rights_reminders_send(today=dt.date.fromisoformat(today) if today else None)
