"""Daily reminders (idempotent): every reminder registered by an app (see cmer/notifications/kinds.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.notifications.reminders import run_daily_reminders


class Command(BaseCommand):
    help = "Send the daily reminders; running it twice sends nothing new."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = run_daily_reminders()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))
