"""Remind holders 30 days before their certification expires. Safe to run as often as wanted."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.training.services import expiring_certifications_notify


class Command(BaseCommand):
    help = "Notify each holder once, 30 days before their certification expires (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        sent = expiring_certifications_notify()
        self.stdout.write(f"{sent} notification(s)")
