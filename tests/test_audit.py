"""The audit trail: one record() function, a keyed hash chain, append-only at the database."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from cmer.audit import triggers
from cmer.audit.chain import verify
from cmer.audit.models import AuditEvent
from cmer.audit.services import record

pytestmark = pytest.mark.django_db


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
