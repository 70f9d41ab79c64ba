"""Sign-in: password, mandatory second factor, lockout, sessions (docs/security.md #10, #11, #12).

Everything goes through the real login views (django-axes breaks `client.login()`), with real
TOTP codes computed from the device key, and every path is checked for its audit event.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp

from cmer.accounts import services
from cmer.accounts.models import BackupCode, BackupCodeDevice, TOTPDevice, User, backup_code_digest
from cmer.audit.models import AuditEvent, Outcome
from tests.matrix import all_rows
from tests.personas import PASSWORD, ROLES, login, make_user, password_only_login, persona_client

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
OTP_VERIFY = reverse("accounts:otp_verify")
OTP_SETUP = reverse("accounts:otp_setup")
DASHBOARD = reverse("core:dashboard")
LOCKED_TEXT = "Trop de tentatives infructueuses"
FAILED_TEXT = "Adresse électronique ou mot de passe incorrect."


def token_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now for this device's key."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset_steps)
    return f"{code:06d}"


def key_token(key_hex: str, drift: int = 0) -> str:
    """The code an app holding this key shows now (or `drift` windows away)."""
    return f"{totp(bytes.fromhex(key_hex), drift=drift):06d}"


def post_password(client: Client, email: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": email, "password": password})


def events(action: str):
    return AuditEvent.objects.filter(action=action).order_by("seq")


def full_login(client: Client, user: User) -> Client:
    """Password then TOTP through the views, as a person does."""
    assert post_password(client, user.email).status_code == 302
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    response = client.post(OTP_VERIFY, {"token": token_for(device)})
    assert response.status_code == 302, response.content[:500]
    return client


# --- password and second factor -------------------------------------------------------------


def test_password_then_totp_reaches_dashboard_with_audit(world):
    user = world.a.user("coordinator")
    client = Client()
    response = post_password(client, user.email)
    assert response.status_code == 302 and response.url == OTP_VERIFY
    assert events("auth.login_password").filter(actor_id=user.pk).count() == 1

    # Password alone opens nothing: the dashboard sends back to the second factor.
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url == OTP_VERIFY

    device = TOTPDevice.objects.get(user=user)
    response = client.post(OTP_VERIFY, {"token": token_for(device)})
    assert response.status_code == 302 and response.url == DASHBOARD
    event = events("auth.login_second_factor").get()
    assert event.actor_id == user.pk and event.data == {"device": "totpdevice"}

    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["current_membership"] == world.a.members["coordinator"]


def test_login_accepts_upper_case_email(world):
    user = world.a.user("member")
    response = post_password(Client(), user.email.upper())
    assert response.status_code == 302 and response.url == OTP_VERIFY


def test_wrong_totp_refused_and_audited(world):
    user = world.a.user("member")
    client = Client()
    post_password(client, user.email)
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(token_for(device)) + 1) % 1_000_000:06d}"
    response = client.post(OTP_VERIFY, {"token": wrong})
    assert response.status_code == 200
    assert "Code invalide ou expiré." in response.content.decode()
    failed = events("auth.second_factor_failed").get()
    assert failed.actor_id == user.pk and failed.outcome == Outcome.FAILED
    assert client.get(DASHBOARD).url == OTP_VERIFY


def test_totp_token_cannot_be_replayed(world):
    user = world.a.user("member")
    device = TOTPDevice.objects.get(user=user)
    token = token_for(device)
    first = Client()
    post_password(first, user.email)
    assert first.post(OTP_VERIFY, {"token": token}).status_code == 302
    second = Client()
    post_password(second, user.email)
    response = second.post(OTP_VERIFY, {"token": token})
    assert response.status_code == 200 and second.get(DASHBOARD).url == OTP_VERIFY


@pytest.mark.parametrize("token", ["abcdef", "12", "123456789012", "12\x0034"])
def test_malformed_token_gets_form_error(world, token):
    client = Client()
    post_password(client, world.a.user("member").email)
    response = client.post(OTP_VERIFY, {"token": token})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]


def test_backup_code_works_once(world):
    user = world.a.user("president")
    static = BackupCodeDevice.objects.create(user=user, name="Codes de secours")
    BackupCode.objects.create(device=static, digest=backup_code_digest(static.pk, "12345678"))

    client = Client()
    post_password(client, user.email)
    response = client.post(OTP_VERIFY, {"token": "12345678"})
    assert response.status_code == 302 and response.url == DASHBOARD
    assert events("auth.login_second_factor").get().data == {"device": "backupcodedevice"}
    assert not BackupCode.objects.filter(device=static).exists()

    client.post(reverse("accounts:logout"))
    again = Client()
    post_password(again, user.email)
    response = again.post(OTP_VERIFY, {"token": "12345678"})
    assert response.status_code == 200
    assert again.get(DASHBOARD).url == OTP_VERIFY


def test_a_new_blind_index_key_voids_the_backup_codes(world, settings):
    """docs/deployment.md: the codes' hashes are keyed by CMER_BLIND_INDEX_KEY, so after a change
    every code is refused (new codes are generated from « Sécurité »)."""
    user = world.a.user("president")
    static = BackupCodeDevice.objects.create(user=user, name="Codes de secours")
    BackupCode.objects.create(device=static, digest=backup_code_digest(static.pk, "12345678"))
    settings.CMER_BLIND_INDEX_KEY = "bidx:another-key-after-a-change"

    client = Client()
    post_password(client, user.email)
    response = client.post(OTP_VERIFY, {"token": "12345678"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    assert BackupCode.objects.filter(device=static).count() == 1


def test_totp_enrolment_with_qr_and_backup_codes(world):
    user = world.a.user("member")
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    response = post_password(client, user.email)
    assert client.get(response.url).url == OTP_SETUP  # no device yet: enrolment first

    page = client.get(OTP_SETUP)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    # No backup code exists yet: the field asks for the app's 6 digits only.
    assert "Les 6 chiffres affichés par votre application." in page.content.decode()
    assert "code de secours" not in page.content.decode()
    key_hex = client.session["cmer_totp_key"]
    assert page.context["secret"]  # the manual-entry key is shown too
    # The key survives a reload: the QR code the person scanned stays valid.
    client.get(OTP_SETUP)
    assert client.session["cmer_totp_key"] == key_hex

    # A wrong code confirms nothing.
    wrong = f"{(int(key_token(key_hex)) + 1) % 1_000_000:06d}"
    response = client.post(OTP_SETUP, {"token": wrong})
    assert response.status_code == 200 and response.context["form"].errors["token"]
    assert not TOTPDevice.objects.filter(user=user).exists()
    # Neither does an 8-digit code, whatever it is.
    response = client.post(OTP_SETUP, {"token": "12345678"})
    assert response.status_code == 200 and response.context["form"].errors["token"]
    assert not TOTPDevice.objects.filter(user=user).exists()

    response = client.post(OTP_SETUP, {"token": key_token(key_hex)})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 8 and c.isdigit() for c in codes)
    for code in codes:
        assert code in response.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.key == key_hex
    assert BackupCode.objects.filter(device__user=user).count() == 10
    assert events("auth.otp_enrolled").get().actor_id == user.pk
    assert "cmer_totp_key" not in client.session
    # Enrolment verifies the session: the person goes on to the dashboard.
    assert client.get(DASHBOARD).status_code == 200
    # And an enrolled account cannot be re-enrolled over its device from the setup page.
    assert client.get(OTP_SETUP).status_code == 302


def away_from_a_window_edge() -> None:
    """Wait, if need be, until the current 30-second TOTP window has 2 s left at least, so that
    a code computed now is checked by the view in the same window."""
    left = 30 - time.time() % 30
    if left < 2:
        time.sleep(left + 0.05)


def test_a_new_app_code_from_the_window_that_just_ended_is_accepted(world):
    """A person reads the code near the end of its 30-second window and types it after: enrolment
    and the app swap accept it, as sign-in does (tolerance of one window either side); a code two
    windows old is refused. (Enrolment accepted only the current and the next two windows: the
    browser test enrolling from the page failed whenever a window ended between reading the code
    and the server checking it.)"""
    user = world.a.user("member")
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    post_password(client, user.email)
    client.get(OTP_SETUP)
    key_hex = client.session["cmer_totp_key"]
    away_from_a_window_edge()
    response = client.post(OTP_SETUP, {"token": key_token(key_hex, drift=-2)})
    assert response.status_code == 200 and response.context["form"].errors["token"]
    assert not TOTPDevice.objects.filter(user=user).exists()
    response = client.post(OTP_SETUP, {"token": key_token(key_hex, drift=-1)})
    assert response.status_code == 200 and len(response.context["codes"]) == 10
    assert TOTPDevice.objects.get(user=user).key == key_hex
    backup_code = response.context["codes"][0]  # the re-authentication the swap asks for

    url = reverse("accounts:totp_replace")
    client.get(url)
    new_key = client.session["cmer_totp_new_key"]
    away_from_a_window_edge()
    form = {"password": PASSWORD, "token": backup_code, "new_token": key_token(new_key, drift=-2)}
    assert client.post(url, form).status_code == 400
    form["new_token"] = key_token(new_key, drift=-1)
    response = client.post(url, form)
    assert response.status_code == 302 and response.url == reverse("accounts:backup_codes")
    assert TOTPDevice.objects.get(user=user).key == new_key


def replay_is_refused(user: User, code: str) -> bool:
    """A TOTP code typed again at sign-in, from another browser: refused."""
    client = Client()
    post_password(client, user.email)
    response = client.post(OTP_VERIFY, {"token": code})
    return response.status_code == 200 and bool(response.context["form"].errors["token"])


def test_the_code_that_enrolled_the_app_cannot_sign_in_again(world):
    """The code that enrols an app, or swaps it, is spent (RFC 6238 §5.2): replayed at sign-in
    in its window, it is refused."""
    user = world.a.user("member")
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    post_password(client, user.email)
    client.get(OTP_SETUP)
    away_from_a_window_edge()
    code = key_token(client.session["cmer_totp_key"])
    assert len(client.post(OTP_SETUP, {"token": code}).context["codes"]) == 10
    assert TOTPDevice.objects.get(user=user).last_t == int(time.time()) // 30
    assert replay_is_refused(user, code)

    # Another person swaps their app: the new app's first code is spent as well.
    user = world.a.user("coordinator")
    client = full_login(Client(), user)
    old = TOTPDevice.objects.get(user=user)
    url = reverse("accounts:totp_replace")
    client.get(url)
    away_from_a_window_edge()
    code = key_token(client.session["cmer_totp_new_key"])
    response = client.post(url, {"password": PASSWORD, "token": token_for(old, 1), "new_token": code})
    assert response.status_code == 302
    assert replay_is_refused(user, code)


def test_user_without_membership_lands_on_dashboard_message(world):
    client = full_login(Client(), world.outsider)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert "aucune cellule active" in response.content.decode()


# --- audit of every login path ---------------------------------------------------------------


def test_failed_login_audited_with_actor_only_for_existing_account(world):
    user = world.a.user("member")
    post_password(Client(), user.email, "wrong password 123")
    post_password(Client(), "nobody@unknown.example", "wrong password 123")
    known, unknown = events("auth.login_failed")
    assert known.actor_id == user.pk and known.outcome == Outcome.FAILED
    assert unknown.actor_id is None and unknown.target_id == ""
    for event in (known, unknown):
        stored = f"{event.target_type} {event.target_id} {event.data} {event.action}"
        assert "@" not in stored and "unknown" not in stored


def test_logout_is_audited_and_flushes_the_session(world):
    user = world.a.user("member")
    client = full_login(Client(), user)
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response.url == LOGIN
    assert events("auth.logout").get().actor_id == user.pk
    assert not Session.objects.filter(session_key=old_key).exists()

    # Replaying the old cookie in another browser gets the login page, not the dashboard.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = replay.get(DASHBOARD)
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_logout_needs_post(world):
    client = persona_client(world, "member")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(DASHBOARD).status_code == 200


# --- brute force (docs/security.md #11) ------------------------------------------------------


def _fail(client: Client, email: str):
    return post_password(client, email, "not the password")


def _error_texts(response) -> list[str]:
    errors = [str(e) for e in response.context["form"].non_field_errors()]
    return [response.context["lockout"], *errors] if response.context.get("lockout") else errors


def test_lockout_after_five_failures_same_answer_for_unknown_account(world):
    user = world.a.user("member")
    answers = {}
    for email in (user.email, "ghost@unknown.example"):
        client = Client()
        first = [_fail(client, email) for _ in range(4)]
        assert all(r.status_code == 200 for r in first)
        assert _error_texts(first[0]) == [FAILED_TEXT]
        fifth = _fail(client, email)
        # The correct password no longer helps while locked.
        locked = post_password(Client(), email)
        answers[email] = (
            first[0].status_code,
            _error_texts(first[0]),
            fifth.status_code,
            _error_texts(locked),
        )
        assert locked.status_code == 429
        assert LOCKED_TEXT in _error_texts(locked)[0]
        assert LOCKED_TEXT in locked.content.decode()
    assert answers[user.email] == answers["ghost@unknown.example"]
    assert not events("auth.login_password").exists()

    locked_events = events("auth.locked_out")
    assert {e.actor_id for e in locked_events} == {user.pk, None}
    assert all(e.outcome == Outcome.DENIED for e in locked_events)


def test_lockout_counts_per_account_not_per_client(world):
    user = world.a.user("member")
    for i in range(5):
        _fail(Client(REMOTE_ADDR=f"10.0.0.{i}"), user.email)
    assert post_password(Client(REMOTE_ADDR="10.9.9.9"), user.email).status_code == 429
    # Another account from the same address is unaffected.
    other = world.a.user("coordinator")
    assert post_password(Client(REMOTE_ADDR="10.0.0.1"), other.email).status_code == 302


def test_success_resets_the_failure_count(world):
    user = world.a.user("member")
    for _ in range(4):
        _fail(Client(), user.email)
    assert post_password(Client(), user.email).status_code == 302
    for _ in range(4):
        assert _fail(Client(), user.email).status_code == 200
    assert post_password(Client(), user.email).status_code == 302


def test_lockout_lifts_after_fifteen_minutes(world):
    user = world.a.user("member")
    for _ in range(5):
        _fail(Client(), user.email)
    assert post_password(Client(), user.email).status_code == 429

    # 14 minutes later: still locked.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert post_password(Client(), user.email).status_code == 429

    # Time travel: the failures are now older than the 15-minute cool-off.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=5))
    response = post_password(Client(), user.email)
    assert response.status_code == 302 and response.url == OTP_VERIFY


# --- sessions (docs/security.md #12) ---------------------------------------------------------


def test_new_session_id_at_login(world):
    user = world.a.user("member")
    anonymous = SessionStore()
    anonymous["probe"] = "pre-login"
    anonymous.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = anonymous.session_key
    post_password(client, user.email)
    new_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert new_key != anonymous.session_key
    assert not Session.objects.filter(session_key=anonymous.session_key).exists()


def test_idle_timeout_is_fifteen_minutes_and_sliding(world):
    assert settings.SESSION_COOKIE_AGE == 15 * 60 and settings.SESSION_SAVE_EVERY_REQUEST
    client = persona_client(world, "member")
    key = client.session.session_key
    assert client.get(DASHBOARD).status_code == 200

    # 14 minutes idle: one minute left; a request slides the expiry back to 15 minutes.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get(DASHBOARD).status_code == 200
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + timedelta(minutes=14)

    # Past the 15 minutes: the session is gone, the person is sent to the login page.
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url.startswith(LOGIN)


def test_absolute_lifetime_twelve_hours(world):
    user = world.a.user("member")
    client = persona_client(world, "member")
    session = client.session
    session["cmer_login_at"] = time.time() - 12 * 3600 + 120  # 11 h 58 min: still valid
    session.save()
    assert client.get(DASHBOARD).status_code == 200

    session = client.session
    session["cmer_login_at"] = time.time() - 12 * 3600 - 1
    session.save()
    old_key = session.session_key
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url == LOGIN
    assert events("auth.session_expired").get().actor_id == user.pk
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.get(DASHBOARD).url.startswith(LOGIN)


def test_session_without_login_time_is_refused(world):
    """A session forged without the login timestamp never counts as fresh."""
    client = persona_client(world, "member")
    session = client.session
    del session["cmer_login_at"]
    session.save()
    assert client.get(DASHBOARD).url == LOGIN


def test_deactivation_ends_sessions_at_once(world):
    user = world.a.user("coordinator")
    client = full_login(Client(), user)
    assert client.get(DASHBOARD).status_code == 200
    services.user_deactivate(user=user, by=world.staff)
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert events("account.deactivated").get().target_id == str(user.pk)
    # And the password no longer opens a session.
    assert post_password(Client(), user.email).status_code == 200


# --- second factor mandatory everywhere (docs/security.md #10) -------------------------------


def _gated_urls(world) -> list[tuple[str, str, dict]]:
    urls = []
    for name, row in sorted(all_rows().items()):
        if row.public or row.auth_step:
            continue
        kwargs = row.kwargs(world, world.a) if row.kwargs else None
        urls.append((row.method, reverse(name, kwargs=kwargs), row.data(world, world.a)))
    urls += [
        ("GET", "/admin/", {}),
        ("GET", "/admin/accounts/user/", {}),
        ("GET", f"/admin/accounts/user/{world.a.user('member').pk}/change/", {}),
        ("GET", "/admin/accounts/cell/", {}),
    ]
    return urls


@pytest.mark.parametrize("persona", [*ROLES, "staff", "outsider"])
def test_no_page_beyond_second_factor_without_it(world, persona):
    user, _membership = world.persona(persona)
    client = password_only_login(Client(), user)
    urls = _gated_urls(world)  # builds the matrix objects (their creation is audited)
    before = AuditEvent.objects.exclude(action__startswith="auth.").count()
    for method, url, data in urls:
        for verb in {"GET", method}:
            response = client.post(url, data) if verb == "POST" else client.get(url)
            assert response.status_code == 302, f"{persona} {verb} {url}: {response.status_code}"
            assert response.url in {OTP_VERIFY, OTP_SETUP}, f"{persona} {verb} {url} -> {response.url}"
    # Nothing was done on the person's behalf (no membership change, no read of anything).
    assert AuditEvent.objects.exclude(action__startswith="auth.").count() == before


def test_staff_without_device_is_sent_to_enrolment(world):
    TOTPDevice.objects.filter(user=world.staff).delete()
    client = password_only_login(Client(), world.staff)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url == OTP_SETUP


# --- the demo code (issue #2, item 8) --------------------------------------------------------


@pytest.mark.parametrize(
    ("debug", "demo", "accepted"),
    [(True, True, True), (False, True, False), (True, False, False), (False, False, False)],
)
def test_demo_code_only_with_debug_and_demo_flags(world, debug, demo, accepted):
    user = world.a.user("member")
    device = TOTPDevice.objects.get(user=user)
    if token_for(device) == "000000" or token_for(device, -1) == "000000":
        device.key = "00" * 20 if device.key != "00" * 20 else "11" * 20
        device.save()
    client = Client()
    post_password(client, user.email)
    with override_settings(DEBUG=debug, CMER_DEMO=demo):
        response = client.post(OTP_VERIFY, {"token": "000000"})
    if accepted:
        assert response.status_code == 302 and response.url == DASHBOARD
        assert client.get(DASHBOARD).status_code == 200
    else:
        assert response.status_code == 200
        assert events("auth.second_factor_failed").count() == 1
        assert client.get(DASHBOARD).url == OTP_VERIFY


def test_demo_code_never_enrols_a_device(world):
    """The demo shortcut only replaces a TOTP check; it never creates a device."""
    user = make_user("fresh@test.cmer")
    TOTPDevice.objects.filter(user=user).delete()
    client = Client()
    post_password(client, user.email)
    with override_settings(DEBUG=True, CMER_DEMO=True):
        client.get(OTP_SETUP)
        response = client.post(OTP_SETUP, {"token": "000000"})
    if key_token(client.session["cmer_totp_key"]) != "000000":
        assert response.status_code == 200 and response.context["form"].errors["token"]
        assert not TOTPDevice.objects.filter(user=user).exists()


def test_helper_login_is_equivalent_to_the_real_flow(world):
    """tests.personas.login() builds the same session state as the views (so the matrix is honest)."""
    user = world.a.user("member")
    real = full_login(Client(), user)
    helper = login(Client(), user, world.a.members["member"])
    assert real.get(DASHBOARD).status_code == helper.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ("TokenForm", ["token"]),
        ("EnrolmentTokenForm", ["token"]),
        ("ReauthForm", ["token"]),
        ("TotpReplaceForm", ["token", "new_token"]),
    ],
)
def test_every_one_time_code_field_takes_the_code_as_the_app_shows_it(form, fields):
    """Each code field offers the phone's keypad and the app's code, accepts the code with the
    space apps show (« 123 456 », no maxlength to cut a paste short) and digits only."""
    from cmer.accounts import forms as account_forms

    form_class = getattr(account_forms, form)
    unbound = form_class()
    for name in fields:
        html = str(unbound[name])
        assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html, html
        assert "maxlength" not in html, html
    for value, error in [("12a456", True), ("²²²²²²", True), ("１２３４５６", True), ("12345", True)]:
        bound = form_class(data={name: value for name in fields})
        bound.is_valid()
        assert all(bool(bound.errors.get(name)) is error for name in fields), (value, bound.errors)
    assert form_class(data={n: "12a456" for n in fields}).errors[fields[0]] == [
        "Le code ne contient que des chiffres."
    ]
    spaced = {name: " 123 456 " if unbound.fields[name].max_length == 6 else "1234 5678" for name in fields}
    bound = form_class(data=spaced)
    bound.is_valid()
    for name in fields:
        assert name not in bound.errors
        assert bound.cleaned_data[name] == spaced[name].replace(" ", "")
