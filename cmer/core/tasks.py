"""The worker's heartbeat (django-tasks): enqueued every few minutes by `manage.py worker_heartbeat`
(a systemd timer, deploy/), run by `db_worker`. A recent beat proves the queue is being worked."""

from __future__ import annotations

from django_tasks import task

from cmer.core.health import WORKER, beat


@task()
def worker_heartbeat() -> str:
    beat(WORKER)
    return "ok"
