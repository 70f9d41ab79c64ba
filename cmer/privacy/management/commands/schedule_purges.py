from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.privacy.tasks import daily_audit_purge, daily_purge, rights_reminders


class Command(BaseCommand):
    help = "Enqueue today's purges (cases, audit trail) and rights-request reminders for the worker (run daily by cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        enqueued = [
            f"{job.name} ({job.enqueue().id})" for job in (daily_purge, daily_audit_purge, rights_reminders)
        ]
        self.stdout.write(f"enqueued {', '.join(enqueued)}")
