"""ProConnect pages in a real browser: the login button and the refusal page, axe-core clean.

The sign-in itself runs against the real local provider in tests/test_proconnect.py (no browser
needed there). Screenshots: artifacts/screenshots/proconnect-*.png.
"""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS, check_a11y
from tests.oidc_provider import running_provider


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_proconnect_button_and_refusal_page_are_accessible(live_server, page, world):
    page.goto(f"{live_server.url}/connexion/")
    button = page.get_by_role("link", name="S'identifier avec ProConnect")
    expect(button).to_have_count(1)
    check_a11y(page, "proconnect-login")
    page.screenshot(path=str(SHOTS / "proconnect-login.png"), full_page=True)
    # A return from ProConnect that cannot be checked (here: nothing to check) is refused clearly.
    response = page.goto(f"{live_server.url}/connexion/proconnect/retour/?code=x&state=y")
    assert response is not None and response.status == 403
    assert (
        page.get_by_role("heading", level=1).text_content()
        == "La réponse de ProConnect n'a pas pu être vérifiée"
    )
    expect(page.get_by_role("link", name="Retour à la page de connexion")).to_have_count(1)
    check_a11y(page, "proconnect-refused")
    page.screenshot(path=str(SHOTS / "proconnect-refused.png"), full_page=True)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_proconnect_sign_in_and_out_in_a_browser(live_server, page, world, settings):
    """Button → the real provider → dashboard without a code; logout → ProConnect's logout → back."""
    with running_provider(live_server.url) as provider:
        for name, value in provider.settings().items():
            setattr(settings, name, value)
        settings.CMER_SITE_URL = live_server.url
        csp = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
        csp["DIRECTIVES"]["form-action"] = ["'self'", provider.issuer]
        settings.CONTENT_SECURITY_POLICY = csp
        user = world.a.user("member")
        provider.choose(sub="browser-sub", acr="eidas2", email=user.email)
        page.goto(f"{live_server.url}/connexion/")
        page.get_by_role("link", name="S'identifier avec ProConnect").click()
        page.wait_for_url(f"{live_server.url}/")
        expect(page.get_by_role("heading", level=1)).to_have_count(1)
        page.screenshot(path=str(SHOTS / "proconnect-dashboard.png"), full_page=True)
        page.get_by_role("button", name="Se déconnecter").first.click()
        # oidc-provider asks the person to confirm the logout, as ProConnect's page does.
        page.wait_for_url(f"{provider.issuer}/session/end**")
        page.locator("button[autofocus], button").first.click()
        page.wait_for_url(f"{live_server.url}/connexion/")
        expect(page.get_by_text("Vous êtes aussi déconnecté de ProConnect.")).to_have_count(1)
        page.screenshot(path=str(SHOTS / "proconnect-logged-out.png"), full_page=True)
