from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cmer.core.tasks import worker_heartbeat


class Command(BaseCommand):
    help = (
        "Enqueue the worker heartbeat: when db_worker runs it, /sante/ and doctor see a recent beat "
        "(run every few minutes by a timer)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = worker_heartbeat.enqueue()
        self.stdout.write(f"enqueued {worker_heartbeat.name} ({result.id})")
