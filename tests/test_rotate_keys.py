"""rotate_keys: re-encrypt every encrypted field under the current key, in atomic resumable
batches, verified at the end, audited with counts (issue #6 item 5, #12 item 7, #14 item 6)."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from cmer.accounts.models import TOTPDevice
from cmer.audit.models import AuditEvent
from cmer.cases.models import Person
from cmer.core import crypto
from cmer.privacy.keys import verify_all
from tests import scratch_db

NEW = "k2:rotation-test-new-secret-0123456789"
NEW_INDEX_KEY = "bidx-rotation-test-new"
# The keys of the settings before any test switches them: persons are created under these.
ORIGINAL = {
    "CMER_FIELD_KEYS": django_settings.CMER_FIELD_KEYS,
    "CMER_BLIND_INDEX_KEY": django_settings.CMER_BLIND_INDEX_KEY,
}


def _people(cell, n: int) -> list[Person]:
    """n persons under the settings' original key k1 (ids and values are test data)."""
    with override_settings(**ORIGINAL):
        return _make_people(cell, n)


def _make_people(cell, n: int) -> list[Person]:
    rows = []
    for i in range(n):
        born = date(2005 + i % 10, 1 + i % 12, 1 + i % 28)
        rows.append(
            Person(
                cell=cell,
                last_name=f"Nom-{i}",
                first_name=f"Prénom {i}",
                birth_date=born.isoformat(),
                birth_year=born.year,
                address=f"{i} rue du Test" if i % 2 else "",
                legal_representatives="Mère et père" if i % 3 == 0 else "",
                name_index=crypto.blind_index(f"Nom-{i}", f"Prénom {i}", born.isoformat()),
                key_id="k1",
            )
        )
    return Person.objects.bulk_create(rows)


def _raw(pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key_id, last_name, first_name, birth_date, address FROM cases_person WHERE id = %s", [pk]
        )
        return cursor.fetchone()


@pytest.fixture
def new_key(settings):
    """Rotate to k2: the old key k1 stays listed (it must, until the rotation finished)."""
    settings.CMER_FIELD_KEYS = f"{NEW},{ORIGINAL['CMER_FIELD_KEYS']}"
    settings.CMER_BLIND_INDEX_KEY = NEW_INDEX_KEY


@pytest.mark.django_db
def test_dry_run_counts_and_changes_nothing(world, new_key, capsys):
    people = _people(world.a.cell, 5)
    before = [_raw(p.pk) for p in people]
    call_command("rotate_keys")
    out = capsys.readouterr().out
    # Every model with encrypted fields is counted: the world's users have sealed TOTP secrets.
    assert "cases.person: 5" in out
    assert f"accounts.totpdevice: {TOTPDevice.objects.count()}" in out
    assert [_raw(p.pk) for p in people] == before
    assert not AuditEvent.objects.filter(action__startswith="privacy.keys").exists()


@pytest.mark.django_db
def test_interrupted_rotation_resumes_and_everything_reads_under_new_key(world, new_key, settings, capsys):
    people = _people(world.a.cell, 10)
    devices = TOTPDevice.objects.count()
    call_command("rotate_keys", "--wet-run", "--batch-size", "3", "--max-batches", "2")
    assert "run the command again" in capsys.readouterr().out
    states = [_raw(p.pk) for p in people]
    assert [s[0] for s in states] == ["k2"] * 6 + ["k1"] * 4
    # Whole rows only: a row's marker and every one of its tokens agree.
    for key_id, *tokens in states:
        assert {crypto.key_id_of(t) for t in tokens if t} == {key_id}

    call_command("rotate_keys", "--wet-run", "--batch-size", "3")
    assert f"verified: all {10 + devices} records decrypt under key id k2" in capsys.readouterr().out
    assert Person.objects.exclude(key_id="k2").count() == 0

    # The old key can now go: everything reads under the new key alone, indexes under the new key.
    settings.CMER_FIELD_KEYS = NEW
    for i, person in enumerate(Person.objects.order_by("pk")):
        assert (person.last_name, person.first_name) == (f"Nom-{i}", f"Prénom {i}")
        assert person.name_index == crypto.blind_index(person.last_name, person.first_name, person.birth_date)
    assert verify_all().ok and verify_all().checked == 10 + devices

    batches = AuditEvent.objects.filter(action="privacy.keys_rotate_batch").order_by("seq")
    assert [e.data["count"] for e in batches if e.target_type == "cases.person"] == [3, 3, 3, 1]
    assert sum(e.data["count"] for e in batches if e.target_type == "accounts.totpdevice") == devices
    final = AuditEvent.objects.filter(action="privacy.keys_rotate").order_by("seq").last()
    assert final.data == {
        "rotated": 4 + devices,
        "batches": 2 + -(-devices // 3),
        "key_id": "k2",
        "finished": True,
        "verified": 10 + devices,
        "failed": 0,
    }


@pytest.mark.django_db
def test_undecryptable_record_stops_its_batch_whole_and_is_named(world, new_key):
    people = _people(world.a.cell, 6)
    bad = people[4]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_person SET first_name = %s WHERE id = %s", ["v1:k0:AAAA", bad.pk])
    with pytest.raises(CommandError, match=f"cases.person id={bad.pk} cannot be decrypted"):
        call_command("rotate_keys", "--wet-run", "--batch-size", "3")
    # The first batch is kept; the batch holding the bad record is rolled back entirely.
    assert [_raw(p.pk)[0] for p in people] == ["k2"] * 3 + ["k1"] * 3
    assert crypto.key_id_of(_raw(people[3].pk)[1]) == "k1"
    assert AuditEvent.objects.filter(action="privacy.keys_rotate_batch").count() == 1


@pytest.mark.django_db
def test_a_record_marked_new_but_still_under_old_key_is_re_encrypted(world, new_key, settings):
    people = _people(world.a.cell, 3)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_person SET key_id = 'k2' WHERE id = %s", [people[1].pk])
    call_command("rotate_keys", "--wet-run")
    assert {crypto.key_id_of(t) for t in _raw(people[1].pk)[1:] if t} == {"k2"}
    settings.CMER_FIELD_KEYS = NEW
    assert Person.objects.get(pk=people[1].pk).last_name == "Nom-1"


@pytest.mark.django_db
def test_verification_catches_a_token_under_the_new_key_that_does_not_decrypt(world, new_key):
    people = _people(world.a.cell, 3)
    call_command("rotate_keys", "--wet-run")
    # A token of person 0, under the current key, copied onto person 1: not pending, but bound to
    # another row, so verification must name it.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_person SET last_name = (SELECT last_name FROM cases_person WHERE id = %s) WHERE id = %s",
            [people[0].pk, people[1].pk],
        )
    with pytest.raises(
        CommandError, match=rf"verification FAILED: 1 records .* e\.g\. cases\.person id={people[1].pk}\."
    ):
        call_command("rotate_keys", "--wet-run")


@pytest.mark.django_db
def test_bad_batch_size_is_refused(world, new_key):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("rotate_keys", "--wet-run", "--batch-size", "0")


@pytest.mark.django_db(transaction=True)
def test_rotation_killed_with_sigkill_midway_then_rerun_ends_readable_under_new_key(world, tmp_path):
    """A real kill: manage.py rotate_keys on a copy of the database, SIGKILLed after some batches."""
    total = 600
    _people(world.a.cell, total)
    keys = {"CMER_FIELD_KEYS": f"{NEW},{ORIGINAL['CMER_FIELD_KEYS']}", "CMER_BLIND_INDEX_KEY": NEW_INDEX_KEY}
    with scratch_db.scratch_copy(tmp_path) as target:
        env = {**target, **keys}
        process = subprocess.Popen(
            scratch_db.manage_argv("rotate_keys", "--wet-run", "--batch-size", "1"),
            cwd=django_settings.BASE_DIR,
            env=scratch_db.manage_env(**env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        try:
            while time.monotonic() < deadline:
                done = scratch_db.query(target, "SELECT COUNT(*) FROM cases_person WHERE key_id = 'k2'")[0][0]
                if done >= 5:
                    break
                time.sleep(0.01)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
        rotated = scratch_db.query(target, "SELECT COUNT(*) FROM cases_person WHERE key_id = 'k2'")[0][0]
        assert 0 < rotated < total, "the kill must land midway"
        # Every committed batch has its audit event, and no event without its batch (persons go
        # first, one per batch here).
        events = scratch_db.query(
            target,
            "SELECT COUNT(*) FROM audit_auditevent WHERE action = 'privacy.keys_rotate_batch' "
            "AND target_type = 'cases.person'",
        )[0][0]
        assert events == rotated
        devices = scratch_db.query(target, "SELECT COUNT(*) FROM accounts_totpdevice")[0][0]

        again = scratch_db.manage("rotate_keys", "--wet-run", "--batch-size", "50", **env)
        assert again.returncode == 0, again.stderr
        assert f"Re-encrypted {total - rotated + devices} records" in again.stdout
        assert f"verified: all {total + devices} records decrypt under key id k2" in again.stdout

        # With the old key removed, a further run finds nothing to do and verifies every token.
        alone = scratch_db.manage("rotate_keys", "--wet-run", CMER_FIELD_KEYS=NEW, **target)
        assert alone.returncode == 0, alone.stderr
        assert f"verified: all {total + devices} records decrypt under key id k2" in alone.stdout
        chain = scratch_db.manage("verify_audit", **target)
        assert chain.returncode == 0, chain.stderr
