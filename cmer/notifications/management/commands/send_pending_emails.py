"""Deliver notification e-mails left behind (run from cron, and after a worker restart).

A worker killed between claiming and marking leaves a claim; once its lease has passed, this
command takes it over. Delivery is at least once: see cmer/notifications/tasks.py.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cmer.notifications.tasks import sweep, sweep_notification_emails


class Command(BaseCommand):
    help = "Send the notification e-mails that are due and not held by a live worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-seconds",
            type=int,
            default=None,
            help="Take over claims older than this (default: CMER_EMAIL_CLAIM_SECONDS).",
        )
        parser.add_argument("--enqueue", action="store_true", help="Hand the sweep to the worker instead.")

    def handle(self, *args: Any, stale_seconds: int | None, enqueue: bool, **options: Any) -> None:
        if stale_seconds is not None and stale_seconds < 0:
            stale_seconds = 0
        if enqueue:
            sweep_notification_emails.enqueue(stale_seconds)
            self.stdout.write("sweep enqueued")
            return
        counts = sweep(stale_seconds)
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(counts.items())))
