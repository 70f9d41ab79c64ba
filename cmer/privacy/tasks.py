"""Background jobs (django-tasks, run by `manage.py db_worker`), enqueued daily by schedule_purges.

Both jobs are idempotent: run twice, or killed and rerun, they end in the same state.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from cmer.audit.services import audit_purge
from cmer.privacy.purge import purge_all
from cmer.privacy.retention import audit_retention_days
from cmer.privacy.services import rights_reminders_send


@task()
def daily_purge(today: str | None = None) -> int:
    """Purge every active cell for real; returns the number of cases destroyed."""
    day = dt.date.fromisoformat(today) if today else None
    reports = purge_all(today=day, wet_run=True, trigger="task")
    return sum(report.counts.get("cases.Case", 0) for report in reports)


@task()
def daily_audit_purge() -> int:
    """Delete audit events past the DPO-validated retention of the cells (at most the platform's
    CMER_AUDIT_RETENTION_DAYS); the chain stays verifiable (anchor)."""
    report = audit_purge(retention_days=audit_retention_days(), wet_run=True)
    return report.deleted


@task()
def rights_reminders(today: str | None = None) -> int:
    """Remind DPOs of rights requests whose legal deadline is 7 days away or less."""
    return rights_reminders_send(today=dt.date.fromisoformat(today) if today else None)
