"""Second factors at rest and around them (issue 14, item 6; docs/security.md "Second factors").

- no TOTP secret nor backup code in clear anywhere in the database (every table, raw SQL);
- the session id changes when the second factor is verified;
- regenerating backup codes, or swapping the authenticator app, asks for the password and a
  current factor again, even in a verified session;
- the migration moves rows of django-otp's clear tables into the sealed ones.
"""

from __future__ import annotations

import base64
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from cmer.accounts.models import BackupCode, BackupCodeDevice, TOTPDevice
from cmer.audit.models import AuditEvent, Outcome
from tests.personas import PASSWORD
from tests.test_auth import OTP_SETUP, OTP_VERIFY, full_login, key_token, post_password, token_for

pytestmark = pytest.mark.django_db

SECURITY = reverse("accounts:backup_codes")


def raw_database_text() -> str:
    """Every value of every table, read with plain SQL (no model, no decryption), plus sessions."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks += [repr(row) for row in cursor.fetchall()]
    # Session data is signed and encoded: decode it too, so a secret parked there would show.
    chunks += [repr(s.get_decoded()) for s in Session.objects.all()]
    return "\n".join(chunks)


def enrol(client: Client, user) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    TOTPDevice.objects.filter(user=user).delete()
    post_password(client, user.email)
    client.get(OTP_SETUP)
    key_hex = client.session["cmer_totp_key"]
    response = client.post(OTP_SETUP, {"token": key_token(key_hex)})
    return key_hex, response.context["codes"]


def test_no_totp_secret_nor_backup_code_in_clear_in_the_database(world):
    user = world.a.user("member")
    client = Client()
    key_hex, codes = enrol(client, user)
    secret_b32 = base64.b32encode(bytes.fromhex(key_hex)).decode()
    assert TOTPDevice.objects.get(user=user).key == key_hex  # the application reads it back

    dump = raw_database_text()
    for secret in (key_hex, key_hex.upper(), secret_b32, *codes):
        assert secret not in dump, "a second-factor secret is stored in clear"
    # Each code is still usable once (its keyed hash matches), then gone.
    other = Client()
    post_password(other, user.email)
    assert other.post(OTP_VERIFY, {"token": codes[0]}).status_code == 302
    assert BackupCode.objects.filter(device__user=user).count() == len(codes) - 1


def test_session_id_changes_when_the_second_factor_is_verified(world):
    user = world.a.user("member")
    client = Client()
    post_password(client, user.email)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(OTP_VERIFY, {"token": token_for(TOTPDevice.objects.get(user=user))})
    assert response.status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    # The id known before the second factor opens nothing: it is gone from the store.
    assert not Session.objects.filter(session_key=before).exists()
    assert client.get(reverse("core:dashboard")).status_code == 200


def test_session_id_changes_at_enrolment_too(world):
    user = world.a.user("member")
    client = Client()
    TOTPDevice.objects.filter(user=user).delete()
    post_password(client, user.email)
    client.get(OTP_SETUP)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(OTP_SETUP, {"token": key_token(client.session["cmer_totp_key"])})
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before


def test_regenerating_backup_codes_needs_password_and_a_current_factor(world):
    user = world.a.user("coordinator")
    client = full_login(Client(), user)
    device = TOTPDevice.objects.get(user=user)
    codes = client.post(SECURITY, {"password": PASSWORD, "token": token_for(device, 1)}).context["codes"]
    digests = set(BackupCode.objects.filter(device__user=user).values_list("digest", flat=True))
    assert len(digests) == 10

    # A verified session alone is not enough: no password, wrong password, wrong code.
    refused = [
        {},
        {"password": "not the password", "token": codes[0]},
        {"password": PASSWORD, "token": "12345678"},
    ]
    for data in refused:
        response = client.post(SECURITY, data)
        assert "codes" not in (response.context or {}), data
    # Nothing was regenerated (the backup code given with the wrong password was spent, no more).
    assert set(BackupCode.objects.filter(device__user=user).values_list("digest", flat=True)) < digests
    digests = set(BackupCode.objects.filter(device__user=user).values_list("digest", flat=True))
    assert len(digests) == 9
    failures = AuditEvent.objects.filter(
        action="auth.reauth_failed", outcome=Outcome.FAILED, actor_id=user.pk
    )
    assert failures.count() == 2  # the empty form never reached the check
    # The wrong code counts against the devices (django-otp's throttling): wait it out here.
    assert TOTPDevice.objects.get(user=user).throttling_failure_count >= 1
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0)
    BackupCodeDevice.objects.filter(user=user).update(throttling_failure_count=0)

    response = client.post(SECURITY, {"password": PASSWORD, "token": codes[1]})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    assert not digests & set(BackupCode.objects.filter(device__user=user).values_list("digest", flat=True))


def test_replacing_the_authenticator_app_needs_reauthentication(world):
    user = world.a.user("member")
    client = full_login(Client(), user)
    old = TOTPDevice.objects.get(user=user)
    url = reverse("accounts:totp_replace")
    client.get(url)
    new_key = client.session["cmer_totp_new_key"]
    response = client.post(
        url, {"password": "wrong password!", "token": token_for(old, 1), "new_token": key_token(new_key)}
    )
    assert response.status_code == 400
    assert TOTPDevice.objects.get(user=user).key == old.key
    response = client.post(
        url, {"password": PASSWORD, "token": token_for(old, 2), "new_token": key_token(new_key)}
    )
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user=user).key == new_key
    assert AuditEvent.objects.filter(action="auth.otp_replaced", actor_id=user.pk).count() == 1


def test_migration_seals_the_clear_rows_of_django_otp(world):
    """Existing installations: rows of otp_totp/otp_static move into the sealed tables, then go."""
    seal = __import__("cmer.accounts.migrations.0005_seal_existing_second_factors", fromlist=["seal"]).seal
    user = world.a.user("dpo")
    key_hex = "3132333435363738393031323334353637383930"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer primary key, user_id bigint, name varchar(64), "
            "confirmed boolean, key varchar(80), step smallint, t0 bigint, digits smallint, "
            "tolerance smallint, drift smallint, last_t bigint)"
        )
        cursor.execute(
            "CREATE TABLE otp_static_staticdevice (id integer primary key, user_id bigint, name varchar(64))"
        )
        cursor.execute(
            "CREATE TABLE otp_static_statictoken (id integer primary key, device_id integer, token varchar(16))"
        )
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES (1, %s, 'old', %s, %s, 30, 0, 6, 1, 0, -1)",
            [user.pk, True, key_hex],
        )
        cursor.execute("INSERT INTO otp_static_staticdevice VALUES (1, %s, 'backup')", [user.pk])
        cursor.execute("INSERT INTO otp_static_statictoken VALUES (1, 1, '87654321')")
    TOTPDevice.objects.filter(user=user).delete()
    seal(apps, SimpleNamespace(connection=connection))  # it only reads the editor's connection
    assert TOTPDevice.objects.get(user=user).key == key_hex
    with connection.cursor() as cursor:
        for table in ("otp_totp_totpdevice", "otp_static_statictoken", "otp_static_staticdevice"):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            assert cursor.fetchone()[0] == 0
    assert key_hex not in raw_database_text()
    client = Client()
    post_password(client, user.email)
    assert client.post(OTP_VERIFY, {"token": "87654321"}).status_code == 302
