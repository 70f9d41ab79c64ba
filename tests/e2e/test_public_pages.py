"""The public pages in a real browser, without an account: in the footer, axe-core clean.

Screenshots: artifacts/screenshots/public-*.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS, check_a11y, follow

PAGES = [
    ("Mentions légales", "/mentions-legales/", "Mentions légales"),
    ("Données personnelles", "/donnees-personnelles/", "Données personnelles"),
    ("Accessibilité", "/accessibilite/", "Déclaration d'accessibilité"),
    ("Plan du site", "/plan-du-site/", "Plan du site"),
]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_public_pages_answer_without_login_and_are_in_every_footer(live_server, page, world):
    response = page.goto(f"{live_server.url}/connexion/")
    assert response is not None and response.status == 200
    footer = page.locator("footer")
    for link_text, path, heading in PAGES:
        # From the login page's footer, as someone without an account would.
        page.goto(f"{live_server.url}/connexion/")
        follow(page, page.locator("footer").get_by_role("link", name=link_text))
        assert page.url == f"{live_server.url}{path}"
        assert page.get_by_role("heading", level=1).text_content() == heading
        expect(footer.get_by_role("link", name=link_text)).to_have_count(1)
        assert page.locator('meta[name="robots"]').get_attribute("content") == "noindex, nofollow"
        check_a11y(page, f"public-{path.strip('/')}")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{live_server.url}/accessibilite/")
    page.screenshot(path=str(SHOTS / "public-accessibilite-full.png"), full_page=True)
    assert page.get_by_text("non conforme").count() >= 1
    robots = page.request.get(f"{live_server.url}/robots.txt")
    assert robots.status == 200 and "Disallow: /" in robots.text()
