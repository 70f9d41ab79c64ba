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
