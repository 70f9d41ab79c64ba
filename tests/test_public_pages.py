"""The public pages: open to every persona, before the second factor and the charter too."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cmer.core.public import PUBLIC_PAGES, accessibility_status
from tests.personas import password_only_login, persona_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "persona", ["coordinator", "reporter", "dpo", "staff", "outsider", "unverified", "anonymous"]
)
def test_public_pages_pass_the_second_factor_and_charter_gates(world, persona):
    if persona == "anonymous":
        client = Client()
    elif persona == "unverified":
        client = password_only_login(Client(), world.a.user("coordinator"))
    else:
        client = persona_client(world, persona)
    for name in PUBLIC_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200, (persona, name)
        assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_footer_links_every_public_page_and_says_the_accessibility_status(client):
    html = client.get(reverse("accounts:login")).content.decode()
    for name in PUBLIC_PAGES:
        assert f'href="{reverse(name)}"' in html
    assert "Accessibilité : non conforme" in html
    assert 'name="robots" content="noindex, nofollow"' in html


def test_robots_txt_disallows_everything(client):
    response = client.get("/robots.txt")
    assert response.content.decode() == "User-agent: *\nDisallow: /\n"


def test_an_incomplete_audit_can_only_say_non_conforme(tmp_path):
    status = accessibility_status()
    assert status.evaluated < status.grid["total_criteria"] and status.status == "non conforme"
    full = tmp_path / "grid.toml"
    criteria = "\n".join(f'"{i}.{j}" = "C"' for i in range(1, 14) for j in range(1, 9))[: 10**6]
    full.write_text(f"total_criteria = 104\n[criteria]\n{criteria}\n", encoding="utf-8")
    assert accessibility_status.__wrapped__(full).status == "totalement conforme"


def test_legal_notice_takes_the_settings(client, settings):
    settings.CMER_PUBLICATION_DIRECTOR = "Mme Camille Directrice"
    settings.CMER_HOST = "Hébergeur Exemple SAS"
    html = client.get(reverse("core:legal")).content.decode()
    assert "Mme Camille Directrice" in html and "Hébergeur Exemple SAS" in html
