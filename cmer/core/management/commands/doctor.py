from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cmer.core.health import Check, run_checks


def check_keys() -> Check:
    """The four keys come from the environment, none derived from another (settings.py)."""
    missing = [name for name in ("CMER_SECRET_KEY",) if not os.environ.get(name)]
    missing += list(settings.CMER_DERIVED_KEYS)
    if missing:
        return Check("keys", False, "not set in the environment: " + ", ".join(missing))
    from cmer.core import crypto

    try:
        current = crypto.current_key_id()
    except ValueError as exc:  # a malformed CMER_FIELD_KEYS: say so, never print it
        return Check("keys", False, f"CMER_FIELD_KEYS unreadable ({type(exc).__name__})")
    return Check("keys", True, f"all set; current field key id {current}")


def check_checkpoint_file() -> Check:
    """The checkpoint file must exist and be writable by its owner only (so is its folder): anyone
    else able to rewrite it could bless a truncated chain."""
    path = Path(settings.CMER_AUDIT_CHECKPOINT_PATH)
    if not path.exists():
        return Check("checkpoint_file", False, f"{path} does not exist (run audit_checkpoint)")
    problems = []
    for target in (path, path.parent):
        mode = target.stat().st_mode
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            problems.append(f"{target} is writable by group or others ({stat.filemode(mode)})")
    if problems:
        return Check("checkpoint_file", False, "; ".join(problems))
    return Check("checkpoint_file", True, f"{path} {stat.filemode(path.stat().st_mode)}")


def check_chain_head() -> Check:
    from cmer.audit import checkpoints
    from cmer.audit.chain import verify

    result = verify()
    if not result.ok:
        return Check("audit_chain", False, checkpoints.describe_failure(result))
    try:
        latest = checkpoints.read_latest()
    except checkpoints.CheckpointError as exc:
        return Check("audit_chain", False, str(exc))
    if latest is None:
        return Check("audit_chain", False, f"intact ({result.checked} events) but no checkpoint to compare")
    problem = checkpoints.check_against(latest)
    if problem:
        return Check("audit_chain", False, problem)
    return Check("audit_chain", True, f"intact, {result.checked} events, head seq={result.head_seq}")


class Command(BaseCommand):
    help = (
        "Check an installation: what /sante/ checks (database, migrations, worker heartbeat, last "
        "purge, last checkpoint) plus the keys, the checkpoint file's permissions and the audit "
        "chain head. One line per check; exit status 1 when one fails."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checks = run_checks()
        if checks[0].ok:
            checks += [check_keys(), check_checkpoint_file(), check_chain_head()]
        else:
            checks += [check_keys(), check_checkpoint_file()]
        for check in checks:
            label = "ok  " if check.ok else "FAIL"
            self.stdout.write(f"{label} {check.name:16} {check.detail}")
        failing = [c.name for c in checks if not c.ok]
        if failing:
            raise CommandError("failing: " + ", ".join(failing))
        self.stdout.write("all checks pass")
