"""Audit retention (purge_audit) and checkpoints (audit_checkpoint, verify_audit).

docs/security.md #7–#9: after a purge the chain still verifies from a keyed anchor; deleting an event
any other way is refused by the database, and caught by verify_audit if the triggers are gone;
truncating the tail or replacing the table is caught against the checkpoint file.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from cmer.accounts.models import Cell
from cmer.audit import checkpoints, triggers
from cmer.audit.chain import verify
from cmer.audit.models import AuditAnchor, AuditEvent, AuditPurgePermit
from cmer.audit.services import audit_purge, record
from tests import scratch_db
from tests.factories_audit import bulk_chain

pytestmark = pytest.mark.django_db

OLD = timedelta(days=400)  # beyond the default 365-day retention


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path, settings):
    path = tmp_path / "var" / "audit-checkpoints.jsonl"
    settings.CMER_AUDIT_CHECKPOINT_PATH = str(path)
    return path


@pytest.fixture
def no_triggers():
    triggers.execute(connection, create=False)
    yield
    triggers.execute(connection, create=True)


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _old_then_recent(old: int = 30, recent: int = 5) -> None:
    bulk_chain(old, start_at=timezone.now() - OLD, step=timedelta(minutes=1))
    for i in range(recent):
        record(action="test.recent", actor=i + 1, cell=1)


def _verify_command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


# --- retention ---------------------------------------------------------------------------------


def test_dry_run_counts_and_deletes_nothing(capsys):
    _old_then_recent()
    call_command("purge_audit")
    out = capsys.readouterr().out
    assert "DRY RUN: 30 audit events" in out and "seq=31" in out
    assert AuditEvent.objects.count() == 35
    assert not AuditAnchor.objects.exists()


def test_wet_run_deletes_exactly_what_is_due_and_chain_verifies(capsys):
    _old_then_recent(old=30, recent=5)
    call_command("purge_audit", "--wet-run")
    assert "Deleted 30 audit events" in capsys.readouterr().out
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(31, 37))
    assert not AuditEvent.objects.filter(action="test.event").exists()
    anchor = AuditAnchor.objects.get()
    assert (anchor.first_seq, anchor.deleted) == (31, 30)
    assert anchor.prev_hash == AuditEvent.objects.get(seq=31).prev_hash
    assert not AuditPurgePermit.objects.exists()  # the permit never outlives the purge
    result = verify()
    assert result.ok and result.checked == 6 and result.anchor_seq == 31
    assert "from purge anchor seq=31" in _verify_command()


def test_purge_is_audited_with_counts_only():
    _old_then_recent(old=12, recent=1)
    audit_purge(retention_days=365, wet_run=True)
    event = AuditEvent.objects.get(action="audit.purge")
    assert event.data == {"deleted": 12, "first_seq": 13, "retention_days": 365}
    assert event.actor_id is None and event.target_id == ""


def test_second_purge_deletes_nothing_more():
    _old_then_recent()
    first = audit_purge(retention_days=365, wet_run=True)
    second = audit_purge(retention_days=365, wet_run=True)
    assert (first.deleted, second.deleted) == (30, 0)
    assert AuditAnchor.objects.count() == 1
    assert verify().ok


def test_recent_events_are_never_purged():
    bulk_chain(10, start_at=timezone.now() - timedelta(days=364, hours=23))
    report = audit_purge(retention_days=365, wet_run=True)
    assert report.deleted == 0 and AuditEvent.objects.count() == 10


def test_everything_old_leaves_the_purge_event_as_start():
    bulk_chain(20, start_at=timezone.now() - OLD)
    report = audit_purge(retention_days=365, wet_run=True)
    assert report.deleted == 20
    remaining = list(AuditEvent.objects.values_list("seq", "action"))
    assert remaining == [(21, "audit.purge")]
    assert verify().ok


def test_successive_purges_chain_anchors_and_new_events_keep_verifying():
    bulk_chain(10, start_at=timezone.now() - timedelta(days=500), step=timedelta(days=10))
    bulk_chain(5, start_at=timezone.now() - timedelta(days=10))
    audit_purge(retention_days=365, wet_run=True)
    audit_purge(retention_days=5, wet_run=True)
    record(action="test.after", actor=1)
    assert AuditAnchor.objects.count() == 2
    result = verify()
    assert result.ok and result.anchor_seq == AuditAnchor.objects.order_by("-first_seq")[0].first_seq


def test_retention_setting_and_bad_value(settings):
    settings.CMER_AUDIT_RETENTION_DAYS = 30
    bulk_chain(4, start_at=timezone.now() - timedelta(days=31))
    call_command("purge_audit", "--wet-run")
    assert not AuditEvent.objects.filter(seq__lte=4).exists()
    with pytest.raises(CommandError, match="at least one day"):
        call_command("purge_audit", "--retention-days", "0")


# --- the trigger still refuses every other delete or update ---------------------------------------


def test_delete_refused_outside_a_purge_even_after_one():
    _old_then_recent()
    audit_purge(retention_days=365, wet_run=True)
    for statement in (
        "DELETE FROM audit_auditevent WHERE seq = 33",
        "DELETE FROM audit_auditevent",
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = 33",
    ):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            _raw(statement)
    assert AuditEvent.objects.count() == 6


def test_permit_without_matching_anchor_does_not_open_the_table():
    _old_then_recent()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditPurgePermit.objects.create(below_seq=10**9)
        AuditEvent.objects.filter(seq=3).delete()
    assert AuditEvent.objects.filter(seq=3).exists()


def test_permit_only_covers_rows_below_its_anchor():
    _old_then_recent()
    audit_purge(retention_days=365, wet_run=True)
    anchor = AuditAnchor.objects.get()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditPurgePermit.objects.create(below_seq=anchor.first_seq)
        AuditEvent.objects.filter(seq=anchor.first_seq).delete()
    assert AuditEvent.objects.count() == 6


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditanchor SET deleted = 0", "DELETE FROM audit_auditanchor"]
)
def test_anchors_are_append_only(statement):
    _old_then_recent()
    audit_purge(retention_days=365, wet_run=True)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        _raw(statement)
    assert AuditAnchor.objects.get().deleted == 30


def test_delete_with_triggers_dropped_is_named_by_verify_audit(no_triggers):
    _old_then_recent()
    audit_purge(retention_days=365, wet_run=True)
    _raw("DELETE FROM audit_auditevent WHERE seq = 33")
    with pytest.raises(CommandError, match="seq=34"):
        call_command("verify_audit")
    # The first event after the anchor is covered too.
    _raw("DELETE FROM audit_auditevent WHERE seq = 31")
    result = verify()
    assert not result.ok and result.first_bad_seq == 32


def test_forged_anchor_hiding_a_deletion_is_detected(no_triggers):
    """Deleting the oldest events and writing an anchor by hand needs the audit key."""
    bulk_chain(10)
    second = AuditEvent.objects.get(seq=4)
    _raw("DELETE FROM audit_auditevent WHERE seq < 4")
    AuditAnchor.objects.create(
        first_seq=4, prev_hash=second.prev_hash, created_at=timezone.now(), deleted=3, mac="0" * 64
    )
    with pytest.raises(CommandError, match="anchor is forged"):
        call_command("verify_audit")


def test_deleting_the_oldest_events_without_anchor_is_detected(no_triggers):
    bulk_chain(10)
    _raw("DELETE FROM audit_auditevent WHERE seq < 4")
    with pytest.raises(CommandError, match="seq=4"):
        call_command("verify_audit")


# --- checkpoints ---------------------------------------------------------------------------------


def test_checkpoint_appends_a_json_line_outside_the_database(checkpoint_file, capsys):
    bulk_chain(7)
    call_command("audit_checkpoint")
    record(action="test.more")
    call_command("audit_checkpoint")
    lines = [json.loads(line) for line in checkpoint_file.read_text().splitlines()]
    assert [(c["seq"], c["count"]) for c in lines] == [(7, 7), (8, 8)]
    assert lines[-1]["hash"] == AuditEvent.objects.get(seq=8).hash
    assert set(lines[-1]) == {"seq", "hash", "count", "at", "anchor_seq"}
    assert "checkpoint of" in _verify_command()


def test_checkpoint_refuses_a_broken_chain(no_triggers, checkpoint_file):
    bulk_chain(5)
    _raw("UPDATE audit_auditevent SET actor_id = 999 WHERE seq = 2")
    with pytest.raises(CommandError, match="seq=2"):
        call_command("audit_checkpoint")
    assert not checkpoint_file.exists()


def test_truncated_tail_is_detected_against_the_checkpoint(no_triggers):
    bulk_chain(20)
    call_command("audit_checkpoint")
    _raw("DELETE FROM audit_auditevent WHERE seq > 17")
    assert verify().ok  # the shorter chain is internally valid: only the checkpoint sees it
    with pytest.raises(CommandError, match=r"TRUNCATED.*seq=20.*seq=17"):
        call_command("verify_audit")


def test_replaced_table_is_detected_against_the_checkpoint(no_triggers):
    bulk_chain(20, seed=1)
    call_command("audit_checkpoint")
    _raw("DELETE FROM audit_auditevent")
    bulk_chain(25, seed=2)  # a whole valid chain (made with the key), but another one
    assert verify().ok
    with pytest.raises(CommandError, match="replaced or rewritten"):
        call_command("verify_audit")


def test_emptied_table_is_detected_against_the_checkpoint(no_triggers):
    bulk_chain(3)
    call_command("audit_checkpoint")
    _raw("DELETE FROM audit_auditevent")
    with pytest.raises(CommandError, match="TRUNCATED"):
        call_command("verify_audit")


def test_checkpoint_older_than_a_purge_still_passes():
    bulk_chain(10, start_at=timezone.now() - OLD)
    call_command("audit_checkpoint")
    record(action="test.recent")
    audit_purge(retention_days=365, wet_run=True)
    assert "matches" in _verify_command()


def test_require_checkpoint_and_unreadable_file(checkpoint_file):
    bulk_chain(2)
    with pytest.raises(CommandError, match="No audit checkpoint"):
        call_command("verify_audit", "--require-checkpoint")
    checkpoint_file.parent.mkdir(parents=True)
    checkpoint_file.write_text("not json\n")
    with pytest.raises(CommandError, match="unreadable"):
        call_command("verify_audit")


def test_latest_line_is_used(checkpoint_file):
    bulk_chain(3)
    call_command("audit_checkpoint")
    bulk_chain(3)
    call_command("audit_checkpoint")
    latest = checkpoints.read_latest(checkpoint_file)
    assert latest is not None and latest.seq == 6


def test_truncate_or_bulk_delete_refused():
    """PostgreSQL: TRUNCATE bypasses row triggers, so a statement trigger refuses it; SQLite has
    no TRUNCATE (its DELETE without WHERE goes through the row trigger)."""
    _old_then_recent(old=3, recent=1)
    statement = (
        "TRUNCATE audit_auditevent" if connection.vendor == "postgresql" else "DELETE FROM audit_auditevent"
    )
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        _raw(statement)
    assert AuditEvent.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_the_test_runners_flush_empties_everything_and_puts_the_triggers_back():
    """tests/audit_flush.py: pytest-django's flush between transactional tests (test-only)."""
    _old_then_recent(old=5, recent=1)
    audit_purge(retention_days=365, wet_run=True)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not AuditAnchor.objects.exists()
    # ...and puts back the rows the session started from (the personas world's two cells).
    assert sorted(Cell.objects.values_list("code", flat=True)) == ["AAA", "BBB"]
    record(action="test.after_flush")
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        _raw("DELETE FROM audit_auditevent")
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        _raw("UPDATE audit_auditevent SET action = 'x'")
    assert verify().ok


# --- nothing in production lifts the protections (issue 13, item 3) ----------------------------


def test_no_production_command_overrides_flush_or_touches_the_triggers():
    from django.core.management import get_commands

    assert get_commands()["flush"] == "cmer.audit", "production's flush is the refusing one"
    root = Path(settings.BASE_DIR) / "cmer"
    lifting = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "migrations" not in p.parts and p.name != "triggers.py" and "triggers.execute" in p.read_text()
    ]
    assert lifting == []


def test_no_admin_page_can_change_or_delete_the_audit_trail():
    from django.contrib import admin

    assert not {AuditEvent, AuditAnchor, AuditPurgePermit} & set(admin.site._registry)


@pytest.mark.django_db(transaction=True)
def test_flush_under_production_settings_is_refused_and_keeps_trail_and_triggers(tmp_path):
    _old_then_recent(old=3, recent=2)
    production = {
        "CMER_DEBUG": "0",
        "CMER_TESTING": "0",
        "DJANGO_SETTINGS_MODULE": "cmer.settings",
        "CMER_SECRET_KEY": secrets.token_urlsafe(64),
        "CMER_AUDIT_KEY": secrets.token_urlsafe(48),
        "CMER_FIELD_KEYS": "k1:" + secrets.token_urlsafe(48),
        "CMER_BLIND_INDEX_KEY": secrets.token_urlsafe(48),
        "CMER_AUDIT_CHECKPOINT_PATH": str(tmp_path / "checkpoints.jsonl"),
    }
    with scratch_db.scratch_copy(tmp_path) as target:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CMER_", "DATABASE_URL", "DJANGO_"))}
        done = subprocess.run(
            scratch_db.manage_argv("flush", "--noinput"),
            cwd=settings.BASE_DIR,
            env={**env, **target, **production},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert "CommandError: flush is refused: it would erase the append-only audit trail." in done.stderr
        assert scratch_db.query(target, "SELECT COUNT(*) FROM audit_auditevent") == [(5,)]
        # Nothing else was emptied either.
        assert scratch_db.query(target, "SELECT COUNT(*) FROM django_migrations")[0][0] > 0
        if connection.vendor == "sqlite":
            names = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
        else:
            names = "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'audit_%' AND NOT tgisinternal"
        assert len(scratch_db.query(target, names)) == 4


@pytest.mark.django_db(transaction=True)
def test_even_djangos_own_flush_is_refused_by_the_triggers_and_rolled_back():
    """Behind the refusing command, the database itself still says no (a second line of defence)."""
    from django.core.management.commands.flush import Command as DjangoFlush

    from cmer.accounts.models import Cell
    from tests.personas import make_cell

    _old_then_recent(old=2, recent=1)
    make_cell("GGG", "Gamma", "13009")
    with pytest.raises(CommandError, match="couldn't be flushed"):
        call_command(DjangoFlush(), interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 3 and Cell.objects.filter(code="GGG").exists()
