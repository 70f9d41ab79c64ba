"""Per-cell audit retention by redaction (docs/decisions/0008-audit-retention-per-cell.md).

A cell's events past its DPO-validated audit retention lose their content but keep HMAC's inner
digest, so the one platform chain still verifies; the append-only trigger accepts that UPDATE
only under a redaction permit and only in that shape.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from cmer.audit import triggers
from cmer.audit.chain import canonical, hash_message, inner_digest, outer_digest, verify
from cmer.audit.models import AuditEvent, AuditRedactionPermit
from cmer.audit.services import RedactionRefused, audit_redact, record
from cmer.privacy.retention import add_months
from cmer.privacy.tasks import daily_audit_purge
from tests.factories_audit import bulk_chain
from tests.factories_privacy import validated_policy

pytestmark = pytest.mark.django_db

OLD = timedelta(days=200)  # past 3 months, within 12
CHAIN = ("id", "seq", "created_at", "prev_hash", "hash")
CONTENT = ("actor_id", "cell_id", "action", "target_type", "target_id", "outcome", "request_id", "ip", "data")


@pytest.fixture(autouse=True)
def checkpoint_file(tmp_path, settings):
    settings.CMER_AUDIT_CHECKPOINT_PATH = str(tmp_path / "audit-checkpoints.jsonl")


@pytest.fixture
def no_triggers():
    triggers.execute(connection, create=False)
    yield
    triggers.execute(connection, create=True)


@pytest.fixture
def cells(world):
    """Cell A validated 3 months of audit trail, cell B 12 (the model's maximum); each has old
    events, B and the platform recent ones too."""
    a, b = world.a.cell.pk, world.b.cell.pk
    validated_policy(world.a.cell, audit_months=3)
    validated_policy(world.b.cell, audit_months=12)
    bulk_chain(60, start_at=timezone.now() - OLD, step=timedelta(minutes=1), cells=(a, b, None))
    record(action="test.recent", actor=1, cell=a)
    record(action="test.recent", actor=1, cell=b)
    record(action="test.recent", actor=1)
    return a, b


def _rows(**filters) -> dict[int, tuple]:
    return {row[0]: row for row in AuditEvent.objects.filter(**filters).values_list(*CHAIN, *CONTENT)}


def _old_ids(cell_id: int | None) -> list[int]:
    cutoff = timezone.now() - timedelta(days=150)
    return list(
        AuditEvent.objects.filter(cell_id=cell_id, created_at__lt=cutoff)
        .order_by("seq")
        .values_list("id", flat=True)
    )


def _raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _redacted_seqs() -> list[int]:
    return list(AuditEvent.objects.exclude(inner_digest="").order_by("seq").values_list("seq", flat=True))


# --- the daily purge applies each cell's validated value -----------------------------------------


def test_daily_purge_redacts_the_short_cells_old_events_only(cells):
    a, b = cells
    old_a = _old_ids(a)
    before = _rows()
    assert len(old_a) > 5 and _old_ids(b) and _old_ids(None)

    assert daily_audit_purge.call() == {"deleted": 0, "redacted": len(old_a)}

    after = {row[0]: row for row in AuditEvent.objects.values_list(*CHAIN, *CONTENT)}
    digests = dict(AuditEvent.objects.values_list("id", "inner_digest"))
    for pk in old_a:
        # Chain columns kept, content gone, the inner digest stored.
        assert after[pk][: len(CHAIN)] == before[pk][: len(CHAIN)]
        assert after[pk][len(CHAIN) :] == (None, None, "", "", "", "", "", None, {})
        assert len(digests[pk]) == 64
    # B's old events, every recent event and the platform's events are untouched.
    untouched = [pk for pk in before if pk not in old_a]
    assert all(after[pk] == before[pk] and digests[pk] == "" for pk in untouched)
    assert AuditEvent.objects.filter(cell_id=a, action="test.recent").count() == 1
    assert not AuditRedactionPermit.objects.exists()

    result = verify()
    assert result.ok and result.checked == AuditEvent.objects.count()
    assert verify(span=7) == result
    out = _verify_command()
    assert "Audit chain intact" in out

    event = AuditEvent.objects.get(action="audit.redact")
    assert (event.cell_id, event.actor_id, event.target_id) == (a, None, "")
    days = (timezone.localdate() - add_months(timezone.localdate(), -3)).days
    assert event.data == {"redacted": len(old_a), "retention_days": days}


def test_redaction_is_idempotent(cells):
    daily_audit_purge.call()
    redacted = _redacted_seqs()
    assert daily_audit_purge.call() == {"deleted": 0, "redacted": 0}
    assert _redacted_seqs() == redacted
    assert AuditEvent.objects.filter(action="audit.redact").count() == 1
    assert verify().ok


def test_the_platform_cut_of_the_oldest_events_still_applies_after_redaction(cells, settings):
    """The ceiling deletes old events, redacted ones included, and the chain keeps verifying."""
    daily_audit_purge.call()
    settings.CMER_AUDIT_RETENTION_DAYS = 100
    report = daily_audit_purge.call()
    assert report["deleted"] > 0 and not _redacted_seqs()
    assert not AuditEvent.objects.filter(created_at__lt=timezone.now() - OLD + timedelta(days=1)).exists()
    assert verify().ok


def test_a_checkpoint_written_before_a_redaction_still_matches(cells):
    call_command("audit_checkpoint")
    assert daily_audit_purge.call()["redacted"] > 0
    assert "matches" in _verify_command()


def test_an_event_that_does_not_match_its_hash_is_not_redacted(cells, no_triggers):
    a, _b = cells
    target = _old_ids(a)[3]
    _raw("UPDATE audit_auditevent SET actor_id = 999 WHERE id = %s", [target])
    triggers.execute(connection, create=True)
    with pytest.raises(RedactionRefused, match="does not match its hash"):
        audit_redact(cell_id=a, retention_days=92)
    assert _redacted_seqs() == [] and not AuditRedactionPermit.objects.exists()
    assert AuditEvent.objects.get(id=target).actor_id == 999  # the evidence is still there
    triggers.execute(connection, create=False)


# --- the verifier checks a redacted row and its neighbours ----------------------------------------


@pytest.fixture
def redacted(cells, no_triggers):
    """Cell A redacted; the triggers then dropped, as an attacker with database access would."""
    triggers.execute(connection, create=True)
    audit_redact(cell_id=cells[0], retention_days=92)
    triggers.execute(connection, create=False)
    seqs = _redacted_seqs()
    assert verify().ok and len(seqs) > 5
    return seqs


def _first_bad() -> tuple[int | None, str]:
    result = verify()
    assert not result.ok
    # Verified in ranges of a few rows (joined in order), the same event is named.
    assert verify(span=7) == result
    return result.first_bad_seq, result.reason


def test_tampered_digest_of_a_redacted_row_is_detected(redacted):
    seq = redacted[2]
    digest = AuditEvent.objects.get(seq=seq).inner_digest
    _raw("UPDATE audit_auditevent SET inner_digest = %s WHERE seq = %s", [digest[::-1], seq])
    assert _first_bad() == (seq, "redacted event's digest does not match its hash")
    _raw("UPDATE audit_auditevent SET inner_digest = %s WHERE seq = %s", ["zz" * 32, seq])
    assert _first_bad()[0] == seq


def test_tampered_hash_of_a_redacted_row_is_detected(redacted):
    seq = redacted[2]
    _raw("UPDATE audit_auditevent SET hash = %s WHERE seq = %s", ["f" * 64, seq])
    assert _first_bad() == (seq, "redacted event's digest does not match its hash")


def test_tampered_prev_hash_of_a_redacted_row_is_detected(redacted):
    seq = redacted[2]
    _raw("UPDATE audit_auditevent SET prev_hash = %s WHERE seq = %s", ["f" * 64, seq])
    assert _first_bad()[0] == seq


def test_deleted_redacted_row_is_detected(redacted):
    seq = redacted[2]
    _raw("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
    assert _first_bad()[0] == seq + 1


def test_reordered_redacted_rows_are_detected(redacted):
    first, second = redacted[1], redacted[2]
    _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [10**12, first])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [first, second])
    _raw("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [second, 10**12])
    assert _first_bad()[0] in (first, second)


def test_a_row_redacted_without_the_key_is_detected(cells, no_triggers):
    """Blanking an event and storing a made-up digest (no key) breaks the chain there."""
    a, _b = cells
    seq = AuditEvent.objects.get(id=_old_ids(a)[4]).seq
    _raw(
        "UPDATE audit_auditevent SET inner_digest = %s, actor_id = NULL, cell_id = NULL, action = '', "
        "target_type = '', target_id = '', outcome = '', request_id = '', ip = NULL, data = '{}' "
        "WHERE seq = %s",
        [hashlib.sha256(b"guess").hexdigest(), seq],
    )
    assert _first_bad() == (seq, "redacted event's digest does not match its hash")


@pytest.mark.django_db(transaction=True)  # worker processes read committed rows only
def test_redacted_rows_verify_in_worker_processes(world):
    a = world.a.cell.pk
    bulk_chain(120, start_at=timezone.now() - OLD, step=timedelta(minutes=1), cells=(a, None))
    record(action="test.recent", actor=1, cell=a)
    assert audit_redact(cell_id=a, retention_days=92) > 20
    result = verify()
    assert result.ok and verify(processes=2, span=25) == result
    seq = _redacted_seqs()[-3]
    triggers.execute(connection, create=False)
    try:
        _raw("UPDATE audit_auditevent SET hash = %s WHERE seq = %s", ["e" * 64, seq])
        broken = verify(processes=2, span=25)
    finally:
        triggers.execute(connection, create=True)
    assert (broken.ok, broken.first_bad_seq, broken.reason) == (
        False,
        seq,
        "redacted event's digest does not match its hash",
    )


# --- the trigger accepts only a permitted redaction -----------------------------------------------

# The one UPDATE the trigger accepts (as audit_redact writes it); a test changes one assignment.
_REDACTION = {
    "inner_digest": "%s",
    "actor_id": "NULL",
    "cell_id": "NULL",
    "action": "''",
    "target_type": "''",
    "target_id": "''",
    "outcome": "''",
    "request_id": "''",
    "ip": "NULL",
    "data": "'{}'",
}


def _update_sql(**changes: str | None) -> str:
    """The redaction's UPDATE with some assignments replaced (None: left out)."""
    assignments = {**_REDACTION, **changes}
    columns = ", ".join(f"{column} = {value}" for column, value in assignments.items() if value is not None)
    return f"UPDATE audit_auditevent SET {columns} WHERE id = %s"


def _refused(sql: str, params: list, *, permit: tuple[int, object] | None) -> None:
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        if permit is not None:
            AuditRedactionPermit.objects.create(cell_id=permit[0], before=permit[1])
        _raw(sql, params)


@pytest.mark.parametrize(
    ("changes", "with_permit"),
    [
        ({}, False),  # the right shape, but no permit
        ({"action": None}, True),  # action kept
        ({"actor_id": None, "data": None}, True),  # content not blanked
        ({"ip": None}, True),
        ({"hash": "prev_hash"}, True),  # a chain column changed
        ({"created_at": "created_at"}, False),  # no permit, whatever else
        ({"seq": "seq + 1000000"}, True),
        ({"inner_digest": "substr(%s, 1, 10)"}, True),  # not a digest
    ],
)
def test_update_refused_unless_a_permitted_redaction(cells, changes, with_permit):
    a, _b = cells
    pk = _old_ids(a)[0]
    before = _rows(id=pk)
    _refused(_update_sql(**changes), ["0" * 64, pk], permit=(a, timezone.now()) if with_permit else None)
    assert _rows(id=pk) == before


def test_the_permitted_redaction_is_accepted(cells):
    a, _b = cells
    pk = _old_ids(a)[0]
    with transaction.atomic():
        AuditRedactionPermit.objects.create(cell_id=a, before=timezone.now())
        _raw(_update_sql(), ["0" * 64, pk])
        AuditRedactionPermit.objects.all().delete()
    assert AuditEvent.objects.get(id=pk).inner_digest == "0" * 64


def test_permit_of_another_cell_or_for_older_events_or_a_second_redaction_is_refused(cells):
    a, b = cells
    old = _old_ids(a)[0]
    recent = AuditEvent.objects.get(cell_id=a, action="test.recent").pk
    _refused(_update_sql(), ["0" * 64, old], permit=(b, timezone.now()))
    _refused(_update_sql(), ["0" * 64, recent], permit=(a, timezone.now() - timedelta(days=1)))
    audit_redact(cell_id=a, retention_days=92)
    digest = AuditEvent.objects.get(id=old).inner_digest
    _refused(_update_sql(cell_id="cell_id"), ["1" * 64, old], permit=(a, timezone.now()))
    _refused(_update_sql(), ["1" * 64, old], permit=(a, timezone.now()))
    assert AuditEvent.objects.get(id=old).inner_digest == digest
    assert AuditEvent.objects.get(id=recent).action == "test.recent"


def test_update_refused_after_a_redaction_too(cells):
    audit_redact(cell_id=cells[0], retention_days=92)
    for statement in (
        "UPDATE audit_auditevent SET action = 'x' WHERE action = 'test.recent'",
        "UPDATE audit_auditevent SET inner_digest = '' WHERE inner_digest <> ''",
    ):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
            _raw(statement)
    assert verify().ok


# --- HMAC by hand (RFC 2104) is HMAC ----------------------------------------------------------------


@pytest.mark.parametrize(
    "key", [None, "short key", "k" * 64, "a key longer than SHA-256's 64-byte block " * 3]
)
def test_hand_computed_inner_and_outer_digests_are_hmac_sha256_for_the_live_chain(settings, world, key):
    """The chain's own events, hashed under the configured key, then keys shorter than, equal to
    and longer than the block."""
    if key is None:
        key = settings.CMER_AUDIT_KEY
    settings.CMER_AUDIT_KEY = key
    head = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    bulk_chain(20, cells=(world.a.cell.pk, None))
    record(action="test.recent", actor=1, cell=world.a.cell.pk, data={"n": 1})
    raw = key.encode()
    padded = (hashlib.sha256(raw).digest() if len(raw) > 64 else raw).ljust(64, b"\0")
    events = list(AuditEvent.objects.filter(seq__gt=head).order_by("seq"))
    assert len(events) == 21
    for event in events:
        content = canonical(**{field: getattr(event, field) for field in ("seq", "created_at", *CONTENT)})
        message = hash_message(event.prev_hash, content)
        inner = inner_digest(raw, message)
        assert inner == hashlib.sha256(bytes(b ^ 0x36 for b in padded) + message).digest()
        assert outer_digest(raw, inner) == hmac.new(raw, message, hashlib.sha256).hexdigest() == event.hash


def _verify_command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()
