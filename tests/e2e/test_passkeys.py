"""Passkeys in a real browser (issue 14, item 3): Chromium's virtual authenticator (DevTools
protocol `WebAuthn.addVirtualAuthenticator`) stands for the person's fingerprint reader.

The invitation e-mail goes over real SMTP to a local aiosmtpd server; the invited person chooses a
password, enrols a passkey instead of an app, gets backup codes, accepts the charter and reaches the
dashboard; then signs out and back in with the passkey; then sees, adds-after-re-authentication and
removes passkeys from the security page. axe-core on every new page.

WebAuthn refuses an IP address as relying party: the live server is addressed as localhost.
"""

from __future__ import annotations

import email
import email.policy
import re
from typing import Any

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from cmer.accounts.emails import send_invitation
from cmer.accounts.models import BackupCode, Membership, TOTPDevice, User
from cmer.accounts.services import invitation_create
from cmer.audit.models import AuditEvent
from tests.e2e.conftest import a11y_problems, new_context
from tests.test_smtp import smtp_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "une phrase de passe pour la clé"


def virtual_authenticator(context: Any, page: Any) -> Any:
    """A platform authenticator with user verification (a fingerprint reader that always agrees)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def credentials(cdp: Any, authenticator_id: str) -> list[dict[str, Any]]:
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def test_invitation_then_passkey_enrolment_then_sign_in_with_the_passkey(
    browser,
    live_server,
    world,
    settings,
    smtp_server,  # noqa: F811
):
    assert live_server.url.startswith("http://localhost:")
    settings.CMER_SITE_URL = live_server.url
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    problems: list[str] = []

    # The coordinator's invitation, sent over SMTP (the members page journey is in test_invitation.py).
    invitation, token = invitation_create(
        cell=world.a.cell,
        email="paul.asskey@mairie.test",
        first_name="Paul",
        last_name="Asskey",
        role="member",
        service="CCAS",
        by=world.a.user("coordinator"),
    )
    send_invitation(invitation, token)
    ((rcpt, raw),) = smtp_server.messages
    body = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert rcpt == ["paul.asskey@mairie.test"]
    link = re.search(r"http://\S+", body).group(0)  # type: ignore[union-attr]
    assert link.startswith(live_server.url)

    context = new_context(browser, live_server.url)
    page = context.new_page()
    cdp, authenticator = virtual_authenticator(context, page)
    page.goto(link)
    page.locator("input[name=new_password1]").fill(PASSWORD)
    page.locator("input[name=new_password2]").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    # Enrolment: the passkey instead of an app.
    page.wait_for_url(re.compile(r"/connexion/activer-second-facteur/$"))
    register = page.get_by_role("button", name="Enregistrer une clé d'accès")
    register.wait_for()
    problems += a11y_problems(page, "passkeys-01-enrol-choice")
    register.click()
    page.wait_for_url(re.compile(r"/connexion/cle-d-acces/enregistree/$"))
    problems += a11y_problems(page, "passkeys-02-enrolled")
    user = User.objects.get(email="paul.asskey@mairie.test")
    assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert len(credentials(cdp, authenticator)) == 1
    page.get_by_role("button", name="Afficher mes codes de secours").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    assert BackupCode.objects.filter(device__user=user).count() == 10
    problems += a11y_problems(page, "passkeys-03-backup-codes")
    page.get_by_role("link", name="Continuer").click()

    page.wait_for_url(re.compile(r"/cellule/charte/$"))
    page.locator("label[for=accept]").click()
    page.get_by_role("button", name="Accepter la charte").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    assert Membership.objects.get(user=user, cell=world.a.cell).has_accepted_current_charter()

    # Sign out, then in with the password and the passkey.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/connexion/$"))
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/connexion/second-facteur/$"))
    use_passkey = page.get_by_role("button", name="Utiliser une clé d'accès")
    use_passkey.wait_for()
    problems += a11y_problems(page, "passkeys-04-verify")
    session_before = _session_cookie(context)
    use_passkey.click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    assert _session_cookie(context) != session_before
    assert credentials(cdp, authenticator)[0]["signCount"] >= 2
    login = AuditEvent.objects.filter(action="auth.login_second_factor", actor_id=user.pk).last()
    assert login is not None and login.data == {"device": "passkey"}

    # The security page lists it; adding another asks for the password and a current factor,
    # here the passkey itself (this person has no app).
    page.get_by_role("link", name="Sécurité").first.click()
    page.wait_for_url(re.compile(r"/compte/securite/$"))
    expect(page.locator("#passkeys tbody tr")).to_have_count(1)
    problems += a11y_problems(page, "passkeys-05-security")
    page.get_by_role("link", name="Ajouter une clé d'accès").click()
    page.wait_for_url(re.compile(r"/compte/securite/cle-d-acces/$"))
    problems += a11y_problems(page, "passkeys-06-add-reauth")
    page.get_by_role("button", name="Confirmer avec ma clé d'accès").click()
    page.get_by_text("Clé d'accès confirmée").wait_for()
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("button", name="Enregistrer une clé d'accès").wait_for()
    problems += a11y_problems(page, "passkeys-07-add-register")
    # Another authenticator (the first one already holds a passkey of this account, which the
    # browser would refuse to register twice), as if a USB security key were plugged in instead.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    virtual_authenticator(context, page)
    page.get_by_role("button", name="Enregistrer une clé d'accès").click()
    page.wait_for_url(re.compile(r"/compte/securite/$"))
    expect(page.locator("#passkeys tbody tr")).to_have_count(2)
    assert WebAuthnCredential.objects.filter(user=user).count() == 2

    # Remove the first one (no longer plugged in), confirming with the second.
    page.locator("#passkeys tbody tr").first.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/retirer/$"))
    problems += a11y_problems(page, "passkeys-08-remove")
    page.get_by_role("button", name="Confirmer avec ma clé d'accès").click()
    page.get_by_text("Clé d'accès confirmée").wait_for()
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_role("button", name="Retirer la clé d'accès").click()
    page.wait_for_url(re.compile(r"/compte/securite/$"))
    expect(page.get_by_text("Clé d'accès retirée")).to_be_visible()
    expect(page.locator("#passkeys tbody tr")).to_have_count(1)
    assert WebAuthnCredential.objects.filter(user=user).count() == 1
    problems += a11y_problems(page, "passkeys-09-removed")
    assert AuditEvent.objects.filter(action="auth.passkey_removed", actor_id=user.pk).count() == 1
    assert AuditEvent.objects.filter(action="auth.passkey_enrolled", actor_id=user.pk).count() == 2

    assert not problems, "\n".join(problems)


def _session_cookie(context: Any) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
