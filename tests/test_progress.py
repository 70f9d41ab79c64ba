"""Long commands: a progress bar on a terminal, one summary line off one (cron, systemd, pipes)."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import termios
from io import StringIO

import pytest
from django.core.management import call_command

from cmer.audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    for _ in range(30):
        record(action="auth.login")
    return 30


def test_off_a_terminal_the_command_prints_one_summary_line(events):
    out, err = StringIO(), StringIO()
    call_command("verify_audit", "--batch", "7", stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Audit chain intact: {events} events")
    assert err.getvalue() == ""  # no bar, no carriage return in a cron mail


def _drain(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0.2)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_the_command_draws_a_bar(events):
    master, slave = os.openpty()
    # A terminal has a size (a bare pty has 0 columns, where tqdm draws nothing): 24 x 100.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        terminal = os.fdopen(slave, "w", encoding="utf-8", closefd=False)
        out = StringIO()
        call_command("verify_audit", "--batch", "7", stdout=out, stderr=terminal)
        terminal.flush()
        drawn = _drain(master)
    finally:
        os.close(slave)
        os.close(master)
    assert "audit chain:" in drawn and f"/{events}" in drawn and "event" in drawn
    assert "\r" in drawn and "|" in drawn  # redrawn in place, with its bar
    # Stdout keeps its one summary line; the bar never carries data, only the label and counts.
    assert len(out.getvalue().splitlines()) == 1
    assert "auth.login" not in drawn


# --- every long or scheduled command, off a terminal ---------------------------------------------

CANARY = "Zébulon-Canari"
NEW_KEYS = "k9:progress-test-new-secret-0123456789"


def _new_key(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.CMER_FIELD_KEYS = f"{NEW_KEYS},{settings.CMER_FIELD_KEYS}"


def _nothing(settings, tmp_path):  # type: ignore[no-untyped-def]
    return None


COMMANDS = {
    "verify_audit": (["verify_audit"], _nothing),
    "purge dry": (["purge"], _nothing),
    "purge wet": (["purge", "--wet-run"], _nothing),
    "rotate_keys dry": (["rotate_keys"], _new_key),
    "rotate_keys wet": (["rotate_keys", "--wet-run", "--batch-size", "2"], _new_key),
    "purge_audit dry": (["purge_audit"], _nothing),
    "purge_audit wet": (["purge_audit", "--wet-run"], _nothing),
    "audit_checkpoint": (["audit_checkpoint", "--output", "{tmp}/checkpoints.jsonl"], _nothing),
    "generate_scale": (["generate_scale", "--scale", "0.01", "--force"], _nothing),
    "schedule_purges": (["schedule_purges"], _nothing),
    "send_pending_emails": (["send_pending_emails"], _nothing),
    "notify_reminders": (["notify_reminders"], _nothing),
    "notify_overdue_feedback": (["notify_overdue_feedback"], _nothing),
    "notify_expiring_certifications": (["notify_expiring_certifications"], _nothing),
    "rights_reminders": (["rights_reminders"], _nothing),
}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_long_command_prints_one_summary_line_off_a_terminal(name, events, world, settings, tmp_path):
    """Cron, systemd timers and pipes get exactly one line on stdout, nothing on stderr (no bar),
    and no personal data (a canary person is in the database). `backup` and `restore` need a
    committed database: tests/test_backup.py makes the same assertions on them."""
    from tests.factories import make_person

    make_person(world.a.cell, last_name=CANARY)
    argv, setup = COMMANDS[name]
    setup(settings, tmp_path)
    out, err = StringIO(), StringIO()
    call_command(*(a.replace("{tmp}", str(tmp_path)) for a in argv), stdout=out, stderr=err)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert err.getvalue() == ""
    assert CANARY.casefold() not in out.getvalue().casefold()
