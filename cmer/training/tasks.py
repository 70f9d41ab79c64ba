"""Background job (django-tasks): the 30-day certification reminders. Idempotent."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from cmer.training.services import expiring_certifications_notify


@task()
def notify_expiring_certifications(today: str | None = None) -> int:
    """Notify holders whose certification expires within 30 days; returns how many were told."""
    return expiring_certifications_notify(today=dt.date.fromisoformat(today) if today else None)
