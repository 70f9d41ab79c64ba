"""The statistics page in a real browser: charts with their tables, « < 5 », axe-core clean.

Screenshots go to artifacts/screenshots/stats-*.png. The data mixes large and small counts so the
page shows real bars, « < 5 » and masked « s » cells.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

from cmer.referrals.models import Source
from cmer.training import catalogue_v1
from cmer.training.models import CatalogueVersion, Caveat, Domain, Indicator
from tests.factories_stats import Situation, bulk_situations, mixed
from tests.personas import login

SHOTS = Path("artifacts/screenshots")
BLOCKING = {"serious", "critical"}


def _page(browser, live_server, membership):  # type: ignore[no-untyped-def]
    client = login(Client(), membership.user, membership)
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def _blocking(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        f"{v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_statistics_page_is_accessible_with_table_alternatives(live_server, browser, world):
    if CatalogueVersion.objects.current() is None:  # a transactional test before us flushed it
        catalogue_v1.load(CatalogueVersion, Domain, Indicator, Caveat)
    bulk_situations(world.a, 2025, mixed(60) + [Situation(source=Source.ASSOCIATION, age=12)] * 3)
    SHOTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    page = _page(browser, live_server, world.a.members["state_member"])
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto("/statistiques/?annee=2025")
    assert response is not None and response.status == 200
    page.screenshot(path=str(SHOTS / "stats-01-page.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "stats-02-top.png"))

    # Every chart is an image with a name, followed by its table with a caption.
    charts = page.locator("svg[role=img]")
    assert charts.count() == 7
    for i in range(charts.count()):
        title = charts.nth(i).locator("title").text_content() or ""
        assert title.startswith("Graphique")
    assert page.locator("table caption").count() == 8  # 7 tables + the activity table
    assert page.get_by_role("cell", name="< 5").count() >= 1
    assert page.get_by_text("Canari").count() == 0

    problems = _blocking(page)
    # The filter form with its select boxes, checked too (the only interactive part).
    page.get_by_label("Année").select_option("2025")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_load_state()
    page.screenshot(path=str(SHOTS / "stats-03-filtered.png"), full_page=True)
    problems += _blocking(page)
    assert problems == [], problems
    assert all(url.startswith(live_server.url) for url in requests)  # nothing left localhost
