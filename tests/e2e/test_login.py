"""Sign-in in a real browser (issue #2, item 9): password, TOTP, charter, dashboard; axe on each page.

Also checks what only a browser shows: the DSFR stylesheet really applies, no request leaves the
machine, the CSP blocks no script, and the enrolment screens (QR code, backup codes) are usable.
"""

from __future__ import annotations

import base64
import re

import pytest
from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import expect

from cmer.accounts.models import CharterAcceptance, TOTPDevice
from cmer.audit.models import AuditEvent
from tests.e2e.conftest import check_a11y, login_in_browser, page_width_overflow
from tests.personas import make_membership, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


class Watch:
    """Records what the page loads and what the browser console complains about."""

    def __init__(self, page, base_url: str) -> None:  # type: ignore[no-untyped-def]
        self.base = base_url
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.csp_script_errors: list[str] = []
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("console", self._console)

    def _request(self, request) -> None:  # type: ignore[no-untyped-def]
        if not request.url.startswith((self.base, "data:")):
            self.outside.append(request.url)

    def _response(self, response) -> None:  # type: ignore[no-untyped-def]
        if "/static/" in response.url and response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def _console(self, message) -> None:  # type: ignore[no-untyped-def]
        text = message.text
        if "Content Security Policy" in text and "script" in text:
            self.csp_script_errors.append(text)


def test_login_totp_charter_dashboard(page, live_server, world):
    user = make_user("navigateur@test.cmer", first="Nadia", last="Vigateur")
    membership = make_membership(user, world.a.cell, "coordinator", accept=False)
    watch = Watch(page, live_server.url)

    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/connexion/"))
    check_a11y(page, "login-01-login")
    # The DSFR stylesheet is applied (primary button in "bleu France"), served locally.
    color = page.locator("main .fr-btn").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert color == "rgb(0, 0, 145)", color

    # A wrong password first: a clear message, no lockout yet.
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill("not the password at all")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_text("Adresse électronique ou mot de passe incorrect.").first).to_be_visible()
    check_a11y(page, "login-02-login-error")

    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill("correct horse battery staple")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/connexion/second-facteur/$"))
    check_a11y(page, "login-03-second-factor")

    device = TOTPDevice.objects.get(user=user)
    page.get_by_label("Code à usage unique").fill(
        f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    )
    page.get_by_role("button", name="Valider").click()

    # Charter gate: the dashboard is not shown before acceptance.
    page.wait_for_url(re.compile(r"/cellule/charte/$"))
    expect(page.get_by_role("heading", name="Charte de confidentialité")).to_be_visible()
    check_a11y(page, "login-04-charter")
    # DSFR draws the box on the label, which is what a person clicks.
    page.locator("label[for=accept]").click()
    assert page.get_by_label("J'ai lu la charte et je m'engage à la respecter.").is_checked()
    page.get_by_role("button", name="Accepter la charte").click()

    page.wait_for_url(f"{live_server.url}{reverse('core:dashboard')}")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    assert "Alpha-ville" in page.locator("header").inner_text()
    check_a11y(page, "login-05-dashboard")
    # The long role menu wraps instead of widening the page.
    assert page_width_overflow(page) == 0

    assert not watch.failed, watch.failed
    assert not watch.outside, f"requests left the machine: {watch.outside}"
    assert not watch.csp_script_errors, watch.csp_script_errors

    assert CharterAcceptance.objects.filter(membership=membership).exists()
    actions = set(AuditEvent.objects.filter(actor_id=user.pk).values_list("action", flat=True))
    assert {
        "auth.login_failed",
        "auth.login_password",
        "auth.login_second_factor",
        "charter.accepted",
    } <= actions

    # Logging out from the header ends the session: the dashboard asks to log in again.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(re.compile(r"/connexion/"))
    check_a11y(page, "login-06-logged-out")
    page.goto(f"{live_server.url}/")
    assert "/connexion/" in page.url


def test_enrolment_with_qr_code_and_backup_codes(page, live_server, world):
    user = make_user("enrolement@test.cmer", first="Eric", last="Nrolement")
    TOTPDevice.objects.filter(user=user).delete()
    make_membership(user, world.a.cell, "member")

    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill("correct horse battery staple")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/connexion/activer-second-facteur/$"))
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    check_a11y(page, "login-07-enrolment")

    # What a person types from the key shown under the QR code.
    secret = page.locator("#totp-secret").inner_text().strip()
    key = base64.b32decode(secret)
    page.get_by_label("Code à usage unique").fill(f"{totp(key):06d}")
    page.get_by_role("button", name="Activer").click()
    # all_inner_texts() does not wait: wait for the next page's list, or a slow answer reads [].
    page.locator("#backup-codes li").first.wait_for()
    codes = page.locator("#backup-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"\d{8}", c) for c in codes)
    check_a11y(page, "login-08-backup-codes")

    page.get_by_role("link", name="Continuer").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()


def test_helper_signs_in_through_the_screens(page, live_server, world):
    """The shared helper other journeys use really passes both factors."""
    membership = world.a.members["president"]
    login_in_browser(page, live_server, membership.user)
    assert page.url == f"{live_server.url}/"
    check_a11y(page, "login-09-dashboard-president")
    assert page_width_overflow(page) == 0
