"""Notify once about each transmission whose State feedback is overdue (idempotent: run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.exchange.services import feedback_overdue_notify


class Command(BaseCommand):
    help = "Notify the president, coordinator and State members of overdue State feedback (once each)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = feedback_overdue_notify()
        self.stdout.write(f"overdue_notified={count}")
