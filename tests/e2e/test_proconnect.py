"""ProConnect pages in a real browser: the login button and the refusal page, axe-core clean.

The sign-in itself runs against the real local provider in tests/test_proconnect.py (no browser
needed there). Screenshots: artifacts/screenshots/proconnect-*.png.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SHOTS, check_a11y


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_proconnect_button_and_refusal_page_are_accessible(live_server, page, world):
    page.goto(f"{live_server.url}/connexion/")
    button = page.get_by_role("link", name="S'identifier avec ProConnect")
    assert button.count() == 1
    check_a11y(page, "proconnect-login")
    page.screenshot(path=str(SHOTS / "proconnect-login.png"), full_page=True)
    # A return from ProConnect that cannot be checked (here: nothing to check) is refused clearly.
    response = page.goto(f"{live_server.url}/connexion/proconnect/retour/?code=x&state=y")
    assert response is not None and response.status == 403
    assert (
        page.get_by_role("heading", level=1).text_content()
        == "La réponse de ProConnect n'a pas pu être vérifiée"
    )
    assert page.get_by_role("link", name="Retour à la page de connexion").count() == 1
    check_a11y(page, "proconnect-refused")
    page.screenshot(path=str(SHOTS / "proconnect-refused.png"), full_page=True)
