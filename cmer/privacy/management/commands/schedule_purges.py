from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.privacy.tasks import daily_audit_purge, daily_purge, rights_reminders


class Command(BaseCommand):
    help = "Enqueue today's purges (cases, audit trail) and rights-request reminders for the worker (run daily by cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        for job in (daily_purge, daily_audit_purge, rights_reminders):
            result = job.enqueue()
            self.stdout.write(f"enqueued {job.name} ({result.id})")
