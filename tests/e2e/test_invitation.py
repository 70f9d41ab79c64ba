"""Invitation journey in a real browser (issue 14, item 4): the coordinator invites from the
members page, the e-mail goes over real SMTP to a local aiosmtpd server, the person opens the link,
chooses a password, enrols an authenticator app (TOTP computed here from the key the page shows),
accepts the charter and reaches the dashboard. Then the account pages of items 5 and 6 and the
clear page of a used link; axe-core on every page.
"""

from __future__ import annotations

import base64
import email
import email.policy
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from cmer.accounts.models import Invitation, Membership, User
from tests.e2e.conftest import a11y_problems, follow, new_context, signed_in_page
from tests.test_smtp import smtp_server  # noqa: F401  (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "une phrase de passe pour le navigateur"


def code_from_page(page, drift: int = 0) -> str:  # type: ignore[no-untyped-def]
    secret = page.locator("#totp-secret").inner_text().strip()
    return f"{totp(base64.b32decode(secret), drift=drift):06d}"


def test_invitation_email_link_password_totp_charter_dashboard(
    browser,
    live_server,
    world,
    settings,
    smtp_server,  # noqa: F811
):
    settings.CMER_SITE_URL = live_server.url
    problems: list[str] = []

    # The coordinator invites from the members page, reached from the menu.
    manager = signed_in_page(browser, live_server, world.a.members["coordinator"])
    manager.goto(f"{live_server.url}/")
    manager.get_by_role("button", name="Cellule").click()  # the « Cellule » sub-menu
    manager.get_by_role("link", name="Membres").first.click()
    manager.wait_for_url(re.compile(r"/cellule/membres/$"))
    problems += a11y_problems(manager, "invitation-01-members")
    manager.get_by_label("Adresse électronique professionnelle").fill("ines.vitee@mairie.test")
    manager.get_by_label("Prénom").fill("Inès")
    manager.get_by_label("Nom", exact=True).fill("Vitée")
    manager.locator("form[action$='/inviter/'] select[name=role]").select_option("member")
    manager.get_by_role("button", name="Envoyer l'invitation").click()
    expect(manager.get_by_text("Invitation envoyée")).to_be_visible()
    expect(manager.get_by_role("cell", name="ines.vitee@mairie.test")).to_be_visible()
    problems += a11y_problems(manager, "invitation-02-members-pending")

    # The e-mail, received over SMTP, holds the link.
    ((rcpt, raw),) = smtp_server.messages
    body = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert rcpt == ["ines.vitee@mairie.test"]
    link = re.search(r"http://\S+", body).group(0)  # type: ignore[union-attr]

    # The invited person, in their own browser.
    context = new_context(browser, live_server.url)
    page = context.new_page()
    page.goto(link)
    expect(
        page.get_by_role("heading", name=re.compile("Rejoindre la cellule CMER de Alpha-ville"))
    ).to_be_visible()
    problems += a11y_problems(page, "invitation-03-link")
    page.locator("input[name=new_password1]").fill(PASSWORD)
    page.locator("input[name=new_password2]").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    page.wait_for_url(re.compile(r"/connexion/activer-second-facteur/$"))
    problems += a11y_problems(page, "invitation-04-enrol")
    page.get_by_label("Code à usage unique").fill(code_from_page(page))
    page.get_by_role("button", name="Activer").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    problems += a11y_problems(page, "invitation-05-backup-codes")
    page.get_by_role("link", name="Continuer").click()

    page.wait_for_url(re.compile(r"/cellule/charte/$"))
    problems += a11y_problems(page, "invitation-06-charter")
    page.locator("label[for=accept]").click()
    page.get_by_role("button", name="Accepter la charte").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    problems += a11y_problems(page, "invitation-07-dashboard")

    user = User.objects.get(email="ines.vitee@mairie.test")
    assert Membership.objects.get(user=user, cell=world.a.cell).has_accepted_current_charter()
    assert Invitation.objects.get().state == "used"

    # The account's security pages, from the header link.
    page.get_by_role("link", name="Sécurité").first.click()
    page.wait_for_url(re.compile(r"/compte/securite/$"))
    problems += a11y_problems(page, "invitation-08-security")
    follow(page, page.get_by_role("link", name="Changer de mot de passe"))
    problems += a11y_problems(page, "invitation-09-password-change")
    page.go_back()
    follow(page, page.get_by_role("link", name="Changer d'application d'authentification"))
    problems += a11y_problems(page, "invitation-10-totp-replace")

    # A used link, and the forgotten-password pages, signed out.
    anonymous = new_context(browser, live_server.url).new_page()
    anonymous.goto(link)
    expect(anonymous.get_by_text("déjà été utilisée")).to_be_visible()
    problems += a11y_problems(anonymous, "invitation-11-used-link")
    anonymous.goto(f"{live_server.url}/connexion/")
    follow(anonymous, anonymous.get_by_role("link", name="Mot de passe oublié ?"))
    problems += a11y_problems(anonymous, "invitation-12-reset")
    anonymous.get_by_label("Adresse électronique").fill("personne@inconnue.test")
    anonymous.get_by_role("button", name="Recevoir le lien").click()
    expect(anonymous.locator("#reset-sent")).to_be_visible()
    problems += a11y_problems(anonymous, "invitation-13-reset-sent")

    assert not problems, "\n".join(problems)
