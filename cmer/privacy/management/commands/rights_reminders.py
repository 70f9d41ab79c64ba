from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.privacy.services import rights_reminders_send


class Command(BaseCommand):
    help = "Notify DPOs of rights requests due within 7 days (each request once)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"reminders sent: {rights_reminders_send()}")
