"""The audit trail: one record() function, a keyed hash chain, append-only at the database."""

from __future__ import annotations

import multiprocessing
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from cmer.audit import chain, checkpoints, triggers
from cmer.audit.chain import canonical, verify
from cmer.audit.models import AuditEvent
from cmer.audit.services import record
from tests.factories_audit import bulk_chain

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path, settings):
    """Never compare with a developer's real checkpoint file."""
    path = tmp_path / "audit-checkpoints.jsonl"
    settings.CMER_AUDIT_CHECKPOINT_PATH = str(path)
    return path


def _chain(n: int = 12) -> list[AuditEvent]:
    return [record(action="test.event", actor=i + 1, cell=1, target_type="x", target_id=i) for i in range(n)]


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.fixture
def no_triggers():
    """What an attacker with database access does first."""
    triggers.execute(connection, create=False)
    yield
    triggers.execute(connection, create=True)


def test_intact_chain_verifies_and_command_exits_zero(capsys):
    _chain()
    result = verify()
    assert result.ok and result.checked == 12
    call_command("verify_audit")
    assert "intact: 12 events" in capsys.readouterr().out


def test_record_refuses_free_text_in_data():
    with pytest.raises(ValueError):
        record(action="x", data={"name": "Jean Dupont"})
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"]
)
def test_database_refuses_update_and_delete(statement):
    _chain(3)
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        _raw(statement)
    assert AuditEvent.objects.count() == 3
    assert verify().ok


def test_orm_update_refused_too():
    event = _chain(1)[0]
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")


def _assert_broken_at(seq: int) -> None:
    result = verify()
    assert not result.ok
    assert result.first_bad_seq == seq
    with pytest.raises(CommandError, match=f"seq={seq}"):
        call_command("verify_audit")


def test_modification_detected_and_named(no_triggers):
    events = _chain()
    _raw("UPDATE audit_auditevent SET actor_id = 999 WHERE id = %s", [events[5].pk])
    _assert_broken_at(6)


def test_modification_with_recomputed_unkeyed_hash_detected(no_triggers):
    import hashlib

    events = _chain()
    forged = hashlib.sha256(b"forged").hexdigest()
    _raw("UPDATE audit_auditevent SET action = 'other', hash = %s WHERE id = %s", [forged, events[3].pk])
    _assert_broken_at(4)


def test_deletion_detected(no_triggers):
    events = _chain()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[7].pk])
    _assert_broken_at(9)


def test_insertion_detected(no_triggers):
    events = _chain()
    e = events[4]
    _raw(
        "INSERT INTO audit_auditevent (seq, created_at, actor_id, cell_id, action, target_type, target_id,"
        " outcome, request_id, ip, data, prev_hash, hash) VALUES (%s, %s, 1, 1, 'x', '', '', 'ok', '', NULL,"
        " '{}', %s, %s)",
        [10_000, e.created_at, e.hash, "f" * 64],
    )
    # Inserted at the end (highest id): its sequence does not follow the head.
    _assert_broken_at(10_000)


def test_reordering_detected(no_triggers):
    events = _chain()
    a, b = events[2], events[3]
    _raw("UPDATE audit_auditevent SET seq = 999999 WHERE id = %s", [a.pk])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [a.seq, b.pk])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE id = %s", [b.seq, a.pk])
    result = verify()
    assert not result.ok and result.first_bad_seq in (a.seq, b.seq)


def test_small_batches_walk_the_whole_chain():
    _chain(25)
    assert verify(batch=4).checked == 25


# --- docs/security.md #7: a chain of at least 10,000 events, random tampering, seeded trials ----

CHAIN = 10_000
TRIALS = 20
STRIDE = 2  # primary keys 2, 4, 6…: a forged row can be slipped between two events


class _Rollback(Exception):
    pass


# Ranges of an odd number of ids: their edges fall anywhere, on a forged row or a hole too.
SPAN = 997


def _detect() -> tuple[bool, int | None]:
    """What verify_audit does: the chain, then the latest checkpoint. (detected, named seq).

    The chain cut into ranges verified apart and joined must say exactly what one walk says."""
    result = verify()
    assert verify(span=SPAN) == result
    if not result.ok:
        return True, result.first_bad_seq
    latest = checkpoints.read_latest()
    return bool(latest and checkpoints.check_against(latest)), None


def _trial(tamper) -> tuple[bool, int | None, int | None]:
    """Tamper inside a savepoint, look, roll back: every trial starts from the intact chain."""
    outcome: list = []
    try:
        with transaction.atomic():
            expected = tamper()
            outcome = [*_detect(), expected]
            raise _Rollback
    except _Rollback:
        pass
    return outcome[0], outcome[1], outcome[2]


def _row(seq: int) -> dict:
    return AuditEvent.objects.filter(seq=seq).values().get()


def _modify(rng):
    seq = rng.randint(1, CHAIN)
    column, value = rng.choice(
        [
            ("actor_id", 777_777),
            ("cell_id", 999),
            ("action", "case.forged"),
            ("target_id", "31337"),
            ("outcome", "denied" if _row(seq)["outcome"] == "ok" else "ok"),
            ("request_id", "f" * 16),
            ("created_at", _row(seq)["created_at"] + timedelta(microseconds=1)),
            ("data", '{"n":42}'),
            ("hash", "a" * 64),
            ("prev_hash", "b" * 64),
        ]
    )
    _raw(f"UPDATE audit_auditevent SET {column} = %s WHERE seq = %s", [value, seq])
    return seq


def _delete(rng):
    seq = rng.randint(1, CHAIN)
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
    # The next event names the hole; the last one is only missed by the checkpoint.
    return seq + 1 if seq < CHAIN else None


def _insert(rng):
    """A forged event after seq k: later events renumbered to make room, hashed without the key."""
    k = rng.randint(1, CHAIN - 1)
    before = _row(k)
    _raw("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq > %s", [k])
    _raw("UPDATE audit_auditevent SET seq = seq - 999999 WHERE seq > 1000000")
    import hashlib

    forged = dict(
        seq=k + 1,
        created_at=before["created_at"],
        actor_id=1,
        cell_id=1,
        action="case.read",
        target_type="cases.case",
        target_id="1",
        outcome="ok",
        request_id="",
        ip=None,
        data={},
    )
    digest = hashlib.sha256(before["hash"].encode() + canonical(**forged)).hexdigest()
    AuditEvent.objects.create(id=before["id"] + 1, prev_hash=before["hash"], hash=digest, **forged)
    return k + 1


def _reorder(rng):
    a, b = rng.sample(range(1, CHAIN + 1), 2)
    _raw("UPDATE audit_auditevent SET seq = 0 WHERE seq = %s", [a])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [a, b])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = 0", [b])
    # The walk follows insertion order: the first wrong row found is the later event, moved up.
    return max(a, b)


@pytest.mark.parametrize("tamper", [_modify, _delete, _insert, _reorder], ids=lambda f: f.__name__[1:])
def test_random_tampering_on_10k_chain_always_detected_and_named(tamper, no_triggers):
    import random

    bulk_chain(CHAIN, id_stride=STRIDE, seed=7)
    checkpoints.write_checkpoint()
    rng = random.Random(f"cmer-{tamper.__name__}")
    misses, misnamed = [], []
    for _ in range(TRIALS):
        detected, named, expected = _trial(lambda: tamper(rng))
        if not detected:
            misses.append(expected)
        elif named != expected:
            misnamed.append((expected, named))
    assert misses == [] and misnamed == []
    # 0 false alarms: after every rollback the intact chain and its checkpoint pass.
    assert _detect() == (False, None)
    assert verify().checked == CHAIN


def test_no_false_alarm_on_intact_10k_chains():
    for seed in range(3):
        bulk_chain(CHAIN // 3 + 1, seed=seed)  # appended chains of different content
        assert verify().ok
    assert verify().checked == 3 * (CHAIN // 3 + 1) >= CHAIN
    checkpoints.write_checkpoint()
    for extra in range(5):
        record(action="test.append", actor=extra + 1)
        assert _detect() == (False, None)


def test_fast_hmac_equals_the_standard_one():
    import hmac
    import os as _os

    from cmer.audit.chain import keyed_digest

    for key_len in (0, 1, 32, 63, 64, 65, 200):
        key = _os.urandom(key_len)
        for msg_len in (0, 1, 55, 64, 240, 1000):
            message = _os.urandom(msg_len)
            assert keyed_digest(key, message) == hmac.new(key, message, "sha256").hexdigest()


def test_stamp_of_reads_every_stored_form_the_same():
    from datetime import UTC, datetime, timezone

    from cmer.audit.chain import _stamp, stamp_of

    moment = datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
    expected = _stamp(moment)
    paris = moment.astimezone(timezone(timedelta(hours=1)))
    assert stamp_of(moment) == stamp_of(paris) == stamp_of(moment.replace(tzinfo=None)) == expected
    assert stamp_of("2026-03-04 05:06:07.000089") == expected
    assert stamp_of("2026-03-04T05:06:07.000089Z") == expected  # PostgreSQL's to_char()
    whole = moment.replace(microsecond=0)
    assert stamp_of("2026-03-04 05:06:07") == _stamp(whole) == stamp_of(whole)


@pytest.mark.django_db(transaction=True)
def test_ranges_verified_in_worker_processes_find_what_one_walk_finds(no_triggers):
    """verify_audit's parallel walk: a tampered or missing event anywhere, on a range edge too,
    is found and named as the single walk names it. (Worker processes on PostgreSQL; on SQLite
    the same ranges run in this process.)"""
    bulk_chain(3000, id_stride=STRIDE, seed=11)
    whole = verify()
    assert whole.ok and verify(processes=2, span=SPAN) == whole
    # Event 500 is the first row of the range of ids (998, 1995]; 1200 and 2999 lie inside one.
    _raw("UPDATE audit_auditevent SET action = 'case.forged' WHERE seq = 1200")
    _raw("DELETE FROM audit_auditevent WHERE seq IN (500, 2999)")
    result = verify(processes=2, span=SPAN)
    assert not result.ok and result.first_bad_seq == 501 and result == verify()
    assert result.checked == 499 and result.head_seq == 499
    _raw("DELETE FROM audit_auditevent WHERE seq < 1000")
    result = verify(processes=2, span=SPAN)
    assert (result.first_bad_seq, result.reason) == (
        1000,
        "sequence gap or reordering: expected 1, found 1000",
    )
    assert result == verify(span=None)


def _wait_for(condition, seconds: float = 60) -> None:
    """Until another process reaches a state."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="worker processes verify on PostgreSQL only (SQLite's test database is in memory)",
)
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_walk_stops_verify_audit_with_a_clear_error(monkeypatch):
    """The kernel may kill a worker (out of memory): verify_audit stops and says so, instead of
    waiting for ever for the ranges that worker held (as multiprocessing.Pool did)."""
    bulk_chain(3000, id_stride=STRIDE, seed=12)
    monkeypatch.setattr(chain, "PARALLEL_SPAN", SPAN)  # 7 ranges instead of one
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call_command("verify_audit", "--processes", "2", "--batch", "1")
        except BaseException as exc:  # reported by the assertions below
            errors.append(exc)
        finally:
            connections.close_all()

    side = connections.create_connection("default")
    side.set_autocommit(False)
    walk = threading.Thread(target=run, daemon=True)  # a hang must not hold the test run
    try:
        with side.cursor() as cursor:
            walk.start()
            # Once the workers are started, the table is locked: their next read waits. (One row
            # at a time, a walk lasts seconds: the lock comes first.)
            _wait_for(lambda: len(multiprocessing.active_children()) == 2)
            cursor.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")

            def both_wait() -> bool:
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # one per query, not per transaction
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                return cursor.fetchone()[0] == 2

            _wait_for(both_wait)
            for worker in multiprocessing.active_children():
                worker.kill()
            side.rollback()
        walk.join(timeout=60)
    finally:
        side.rollback()
        side.close()
    assert not walk.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], CommandError)
    assert "a worker process ended before its range was verified" in str(errors[0])


@pytest.mark.django_db(transaction=True)
def test_writers_in_and_out_of_transactions_keep_one_chain():
    """record() outside a transaction (a page that only reads: head, then an INSERT that takes
    the lock itself on PostgreSQL) races writers holding the lock in long transactions: every
    event is written once, in one unbroken chain, and none fails."""
    errors: list[BaseException] = []

    def writer(n: int, in_transaction: bool) -> None:
        try:
            for i in range(15):
                if in_transaction:
                    with transaction.atomic():
                        record(action="test.write", actor=n, target_type="x", target_id=i)
                        time.sleep(0.002)  # the lock is held while the change goes on
                else:
                    record(action="test.read", actor=n, target_type="x", target_id=i)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n, n % 2 == 0)) for n in range(6)]
    # SQLite's test database is in memory with a shared cache, where a second writer is refused
    # ("table is locked") instead of waiting as on a file: there the writers take turns.
    concurrent = connection.vendor == "postgresql"
    for thread in threads:
        thread.start()
        if not concurrent:
            thread.join()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify()
    assert result.ok and result.checked == 90 == AuditEvent.objects.count()
    assert sorted(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 91))
