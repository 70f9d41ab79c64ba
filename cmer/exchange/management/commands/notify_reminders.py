"""Daily reminders (idempotent): overdue State feedback, actions falling due, charter to accept."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.exchange.reminders import action_due_notify, charter_to_accept_notify
from cmer.exchange.services import feedback_overdue_notify


class Command(BaseCommand):
    help = "Send the daily reminders; running it twice sends nothing new."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = {
            "feedback_overdue": feedback_overdue_notify(),
            "action_due": action_due_notify(),
            "charter_to_accept": charter_to_accept_notify(),
        }
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
