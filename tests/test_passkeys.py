"""Passkeys (WebAuthn) as a second factor (issue 14, item 3; docs/security.md "Passkeys").

Driven through our views with a software authenticator (tests/webauthn_soft.py) signing real
WebAuthn answers; the browser journey with Chromium's virtual authenticator is in
tests/e2e/test_passkeys.py.
"""

from __future__ import annotations

import html
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp_webauthn.models import WebAuthnCredential

from cmer.accounts import services
from cmer.accounts.models import BackupCode, TOTPDevice, User
from cmer.audit.models import AuditEvent, Outcome
from tests.personas import PASSWORD, make_user
from tests.test_auth import OTP_SETUP, OTP_VERIFY, post_password, token_for
from tests.webauthn_soft import SoftPasskey

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("core:dashboard")
SECURITY = reverse("accounts:backup_codes")
PASSKEY_ADD = reverse("accounts:passkey_add")
PHISHING = "https://cmer-connexion.example"


def origin() -> str:
    return settings.OTP_WEBAUTHN_ALLOWED_ORIGINS[0]


def call(client: Client, name: str, payload: Any = None) -> Any:
    body = json.dumps(payload) if payload is not None else ""
    return client.post(reverse(f"accounts:{name}"), data=body, content_type="application/json")


def register(client: Client, key: SoftPasskey, at: str | None = None) -> Any:
    begin = call(client, "passkey_register_begin")
    assert begin.status_code == 200, begin.content
    return call(client, "passkey_register_complete", key.create(begin.json(), at or origin()))


def assert_with(client: Client, key: SoftPasskey, at: str | None = None) -> Any:
    begin = call(client, "passkey_auth_begin")
    assert begin.status_code == 200, begin.content
    return call(client, "passkey_auth_complete", key.get(begin.json(), at or origin()))


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def new_person(email: str = "pia.sskey@test.cmer") -> User:
    """A person who chose a password and has no second factor yet (as after an invitation)."""
    user = make_user(email)
    TOTPDevice.objects.filter(user=user).delete()
    return user


def passkey_only_user(client: Client) -> tuple[User, SoftPasskey]:
    """A person whose only factor is a passkey, enrolled at their first sign-in, then signed out."""
    user = new_person()
    key = SoftPasskey()
    post_password(client, user.email)
    assert register(client, key).status_code == 200
    client.post(reverse("accounts:logout"))
    return user, key


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def is_verified(client: Client) -> bool:
    return client.get(DASHBOARD).status_code == 200


def test_first_factor_can_be_a_passkey_then_it_signs_in_and_renews_the_session():
    client = Client()
    user = new_person()
    key = SoftPasskey()
    post_password(client, user.email)
    assert client.get(DASHBOARD)["Location"] == OTP_SETUP
    # The enrolment page offers both ways: an app, or a passkey.
    setup = text(client.get(OTP_SETUP))
    assert 'id="passkey-registration-placeholder"' in setup and "Enregistrer une clé d'accès" in setup

    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    done = register(client, key)
    assert done.status_code == 200, done.content
    assert done.json()["redirect_url"] == reverse("accounts:passkey_enrolled")
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert is_verified(client)
    device = WebAuthnCredential.objects.get(user=user)
    assert device.name.startswith("Clé d'accès du ")
    (enrolled,) = events("auth.passkey_enrolled")
    assert enrolled.actor_id == user.pk and enrolled.data == {"first": True}

    # Its backup codes, once; asking again gives none.
    codes = client.post(reverse("accounts:passkey_enrolled")).context["codes"]
    assert len(codes) == 10 == BackupCode.objects.filter(device__user=user).count()
    again = client.post(reverse("accounts:passkey_enrolled"))
    assert again.status_code == 302 and "codes" not in (again.context or {})
    assert BackupCode.objects.filter(device__user=user).count() == 10

    # Next sign-in: password, then the passkey instead of a code.
    client.post(reverse("accounts:logout"))
    post_password(client, user.email)
    page = text(client.get(OTP_VERIFY))
    assert "Utiliser une clé d'accès" in page and 'id="otp_webauthn_config"' in page
    assert not is_verified(client)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    answer = assert_with(client, key)
    assert answer.status_code == 200, answer.content
    assert answer.json()["redirect_url"] == DASHBOARD
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert is_verified(client)
    assert events("auth.login_second_factor")[-1].data == {"device": "passkey"}
    assert WebAuthnCredential.objects.get(user=user).last_used_at is not None


def test_a_wrong_origin_assertion_is_refused_clearly_and_audited():
    client = Client()
    user, key = passkey_only_user(client)
    post_password(client, user.email)

    refused = assert_with(client, key, at=PHISHING)
    assert refused.status_code == 403
    assert "autre site" in refused.json()["detail"]
    assert refused.json()["code"] == "wrong_origin"
    assert not is_verified(client)
    assert client.get(DASHBOARD)["Location"] == OTP_VERIFY
    (event,) = events("auth.passkey_refused")
    assert event.outcome == Outcome.FAILED and event.actor_id == user.pk
    assert event.data == {"step": "verify", "reason": "wrong_origin"}
    assert PHISHING not in json.dumps(event.data)
    assert not [e for e in events("auth.login_second_factor") if e.created_at >= event.created_at]

    # The same answer with the right origin but the challenge already spent: refused too.
    begin = call(client, "passkey_auth_begin").json()
    call(client, "passkey_auth_complete", key.get(begin, PHISHING))
    replay = call(client, "passkey_auth_complete", key.get(begin, origin()))
    assert replay.status_code == 400 and replay.json()["code"] == "invalid_state"
    assert not is_verified(client)
    # The right origin with a fresh challenge works.
    assert assert_with(client, key).status_code == 200
    assert is_verified(client)


def test_the_library_refuses_another_origin_even_past_our_own_check(monkeypatch):
    """Our check gives the clear message; py_webauthn's own origin check stays underneath."""
    from cmer.accounts import passkeys

    client = Client()
    user, key = passkey_only_user(client)
    post_password(client, user.email)
    monkeypatch.setattr(passkeys, "_check_origin", lambda data: None)
    refused = assert_with(client, key, at=PHISHING)
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("Clé d'accès refusée")
    assert not is_verified(client)


def test_a_passkey_registered_for_another_origin_is_refused():
    client = Client()
    user = new_person()
    post_password(client, user.email)
    refused = register(client, SoftPasskey(), at=PHISHING)
    assert refused.status_code == 403 and refused.json()["code"] == "wrong_origin"
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert events("auth.passkey_refused")[-1].data == {"step": "enrol", "reason": "wrong_origin"}


def verified_totp_user(client: Client) -> tuple[User, TOTPDevice, list[str]]:
    """Signed in with the app (its code of this time step used), with backup codes."""
    user = make_user("tom.otp@test.cmer")
    device = TOTPDevice.objects.get(user=user)
    codes = services._new_backup_codes(user)
    post_password(client, user.email)
    assert client.post(OTP_VERIFY, {"token": token_for(device)}).status_code == 302
    return user, device, codes


def next_time_step(device: TOTPDevice) -> None:
    """As if a minute had passed: the app's codes are new again, its throttling delay over."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )


def test_adding_a_passkey_needs_the_password_and_a_current_factor():
    client = Client()
    user, device, codes = verified_totp_user(client)
    # A verified session alone cannot register one.
    refused = call(client, "passkey_register_begin")
    assert refused.status_code == 403 and refused.json()["code"] == "reauth_required"
    assert events("auth.passkey_refused")[-1].data == {"step": "enrol", "reason": "reauth_required"}

    wrong = client.post(PASSKEY_ADD, {"password": "not it at all", "token": token_for(device, 1)})
    assert wrong.status_code == 400
    assert call(client, "passkey_register_begin").status_code == 403
    assert events("auth.reauth_failed")

    opened = client.post(PASSKEY_ADD, {"password": PASSWORD, "token": codes[0]})
    assert opened.status_code == 200 and 'id="passkey-registration-placeholder"' in text(opened)
    done = register(client, SoftPasskey())
    assert done.status_code == 200 and done.json()["redirect_url"] == SECURITY
    assert WebAuthnCredential.objects.filter(user=user).count() == 1
    assert events("auth.passkey_enrolled")[-1].data == {"first": False}
    # One re-authentication, one passkey.
    assert call(client, "passkey_register_begin").status_code == 403
    assert "Clé d'accès du" in text(client.get(SECURITY))


def test_removing_a_passkey_needs_reauthentication_and_falls_back_to_the_app():
    client = Client()
    user, device, codes = verified_totp_user(client)
    client.post(PASSKEY_ADD, {"password": PASSWORD, "token": token_for(device, 1)})
    key = SoftPasskey()
    register(client, key)
    passkey = WebAuthnCredential.objects.get(user=user)
    remove = reverse("accounts:passkey_remove", kwargs={"pk": passkey.pk})

    assert client.post(remove, {"password": "wrong password!", "token": codes[0]}).status_code == 400
    assert client.post(remove, {"password": PASSWORD}).status_code == 400  # no factor
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert client.post(remove, {"password": PASSWORD, "token": codes[1]}).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    (removed,) = events("auth.passkey_removed")
    assert removed.actor_id == user.pk

    # Signing in again: the app, and no passkey button; the removed key is refused.
    client.post(reverse("accounts:logout"))
    post_password(client, user.email)
    page = text(client.get(OTP_VERIFY))
    assert "Utiliser une clé d'accès" not in page and "otp_webauthn_config" not in page
    assert assert_with(client, key).status_code == 404
    assert not is_verified(client)
    next_time_step(device)
    assert client.post(OTP_VERIFY, {"token": token_for(device)}).status_code == 302
    assert is_verified(client)


def test_passkey_only_user_confirms_with_the_passkey_and_cannot_remove_the_last_factor():
    client = Client()
    user, key = passkey_only_user(client)
    post_password(client, user.email)
    assert assert_with(client, key).status_code == 200
    passkey = WebAuthnCredential.objects.get(user=user)
    remove = reverse("accounts:passkey_remove", kwargs={"pk": passkey.pk})

    # In a verified session the passkey again is a re-confirmation, not a new sign-in.
    page = text(client.get(remove))
    assert "Confirmer avec ma clé d'accès" in page
    confirm = reverse("accounts:passkey_auth_begin")
    begin = client.post(confirm, content_type="application/json").json()
    url = reverse("accounts:passkey_auth_complete") + f"?next={remove}"
    answer = client.post(url, data=json.dumps(key.get(begin, origin())), content_type="application/json")
    assert answer.status_code == 200 and answer.json()["redirect_url"] == remove
    assert "Clé d'accès confirmée" in text(client.get(remove))

    # Password + that confirmation: accepted as re-authentication, but it is the last factor.
    last = client.post(remove, {"password": PASSWORD})
    assert last.status_code == 400
    assert "seul second facteur" in text(last)
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    # The confirmation was used up.
    assert client.post(remove, {"password": PASSWORD}).status_code == 400
    assert "Clé d'accès confirmée" not in text(client.get(remove))

    # New backup codes with password + a fresh confirmation, no code.
    begin = client.post(confirm, content_type="application/json").json()
    client.post(
        reverse("accounts:passkey_auth_complete"),
        data=json.dumps(key.get(begin, origin())),
        content_type="application/json",
    )
    regenerated = client.post(SECURITY, {"password": PASSWORD})
    assert regenerated.status_code == 200 and len(regenerated.context["codes"]) == 10


def test_another_persons_passkey_is_neither_listed_usable_nor_removable():
    client = Client()
    other, other_key = passkey_only_user(client)
    theirs = WebAuthnCredential.objects.get(user=other)

    me = Client()
    user, _device, codes = verified_totp_user(me)
    assert "Clé d'accès du" in theirs.name and theirs.name not in text(me.get(SECURITY))
    assert me.get(reverse("accounts:passkey_remove", kwargs={"pk": theirs.pk})).status_code == 404
    gone = me.post(
        reverse("accounts:passkey_remove", kwargs={"pk": theirs.pk}),
        {"password": PASSWORD, "token": codes[0]},
    )
    assert gone.status_code == 404
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()

    # Their key in my session, at my second-factor step: refused.
    me.post(reverse("accounts:logout"))
    post_password(me, user.email)
    refused = assert_with(me, other_key)
    assert refused.status_code == 403 and refused.json()["code"] == "credential_user_mismatch"
    assert not is_verified(me)


def test_no_passwordless_sign_in():
    """A passkey is a second factor: without the password first, no ceremony even starts."""
    passkey_only_user(Client())
    anonymous = Client()
    for step in ("passkey_auth_begin", "passkey_auth_complete"):
        response = call(anonymous, step, {})
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert "_auth_user_id" not in anonymous.session


def test_a_factor_reset_removes_passkeys_too(world):
    user = world.a.user("member")
    WebAuthnCredential.objects.create(
        user=user, name="clé", credential_id=b"x" * 32, public_key=b"k", confirmed=True
    )
    reset = services.factor_reset_request(target=world.a.members["member"], by=world.a.members["coordinator"])
    services.factor_reset_approve(reset=reset, by=world.a.members["president"])
    assert not WebAuthnCredential.objects.filter(user=user).exists()
    assert not services.has_second_factor(user)


def test_a_passkey_confirmation_stands_for_the_code_when_changing_the_password():
    client = Client()
    user, key = passkey_only_user(client)
    post_password(client, user.email)
    assert assert_with(client, key).status_code == 200
    change = reverse("accounts:password_change")
    new = {"new_password1": "une toute nouvelle phrase", "new_password2": "une toute nouvelle phrase"}
    # Without the confirmation, a code is required.
    assert client.post(change, {"password": PASSWORD, **new}).status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert "Confirmer avec ma clé d'accès" in text(client.get(change))
    assert assert_with(client, key).status_code == 200  # a verified session: a confirmation
    assert client.post(change, {"password": PASSWORD, **new}).status_code == 302
    user.refresh_from_db()
    assert user.check_password(new["new_password1"])
    assert is_verified(client)
