"""Readiness of an installation: what /sante/ answers and `manage.py doctor` starts from.

Each check is a name, a yes/no and, for periodic jobs, the age of their last run. Nothing here
reads personal data: the database is asked `SELECT 1`, the migration table, the heartbeat table
and the checkpoint file's last line (a sequence number and a hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from cmer.core.models import Heartbeat

WORKER = "worker"
PURGE = "purge"
# Written by `manage.py backup` on success; the DPIA states when the last backup was made.
BACKUP = "backup"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    # For the operator's terminal (doctor); /sante/ publishes only `ok` and `age_seconds`.
    detail: str = ""
    age_seconds: int | None = None


def beat(name: str, *, now: datetime | None = None) -> None:
    """Record that the job `name` just completed. No audit event: a time, no personal data, and
    one row rewritten every few minutes would flood the audit trail."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": now or timezone.now()})


def _age(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else max(0, int((now - moment).total_seconds()))


def _periodic(name: str, moment: datetime | None, limit: int, now: datetime) -> Check:
    age = _age(moment, now)
    if age is None:
        return Check(name, False, "never ran")
    if age > limit:
        return Check(name, False, f"last run {age} s ago (limit {limit} s)", age)
    return Check(name, True, f"last run {age} s ago", age)


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return Check("database", False, f"unreachable ({type(exc).__name__})")
    return Check("database", True, connection.vendor)


# Once every migration is applied it stays so for this code: later requests skip the graph.
_migrations_done = False


def check_migrations() -> Check:
    global _migrations_done
    if _migrations_done:
        return Check("migrations", True, "all applied")
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Check("migrations", False, f"cannot read the migration table ({type(exc).__name__})")
    if plan:
        return Check("migrations", False, f"{len(plan)} not applied (run migrate)")
    _migrations_done = True
    return Check("migrations", True, "all applied")


def _heartbeat(name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


def check_checkpoint(now: datetime) -> Check:
    from cmer.audit import checkpoints

    try:
        latest = checkpoints.read_latest()
    except (checkpoints.CheckpointError, OSError) as exc:
        return Check("checkpoint", False, f"unreadable ({type(exc).__name__})")
    moment = datetime.fromisoformat(latest.at) if latest else None
    return _periodic("checkpoint", moment, settings.CMER_HEALTH_CHECKPOINT_MAX_AGE, now)


def run_checks(*, now: datetime | None = None) -> list[Check]:
    """Database, migrations, worker heartbeat, last purge, last audit checkpoint, in that order."""
    now = now or timezone.now()
    database = check_database()
    if not database.ok:
        down = [Check(name, False, "database unreachable") for name in ("migrations", WORKER, PURGE)]
        return [database, *down, check_checkpoint(now)]
    return [
        database,
        check_migrations(),
        _periodic(WORKER, _heartbeat(WORKER), settings.CMER_HEALTH_WORKER_MAX_AGE, now),
        _periodic(PURGE, _heartbeat(PURGE), settings.CMER_HEALTH_PURGE_MAX_AGE, now),
        check_checkpoint(now),
    ]
