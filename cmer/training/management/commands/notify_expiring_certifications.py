"""Remind holders 30 days before their certification expires. Run daily (cron); safe to rerun."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cmer.training.services import expiring_certifications_notify


class Command(BaseCommand):
    help = "Notify each holder once, 30 days before their certification expires (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", help="Pretend today is this ISO date (YYYY-MM-DD), for checks.")

    def handle(self, *args: Any, today: str | None = None, **options: Any) -> None:
        try:
            day = dt.date.fromisoformat(today) if today else None
        except ValueError as exc:
            raise CommandError("--today must read YYYY-MM-DD") from exc
        sent = expiring_certifications_notify(today=day)
        self.stdout.write(f"{sent} notification(s)")
