"""Background version of the daily reminders, for installations that schedule through the worker."""

from __future__ import annotations

from django_tasks import task

from cmer.exchange.reminders import action_due_notify, charter_to_accept_notify
from cmer.exchange.services import feedback_overdue_notify


@task()
def send_daily_reminders() -> dict[str, int]:
    """Idempotent: overdue State feedback, actions falling due, charter to accept (once each)."""
    return {
        "feedback_overdue": feedback_overdue_notify(),
        "action_due": action_due_notify(),
        "charter_to_accept": charter_to_accept_notify(),
    }
