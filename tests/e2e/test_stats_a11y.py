"""The statistics page in a real browser: charts with their tables, « < 5 », axe-core clean.

Screenshots go to artifacts/screenshots/stats-*.png. The data mixes large and small counts so the
page shows real bars, « < 5 » and masked « s » cells.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cmer.referrals.models import Source
from tests.e2e.conftest import SHOTS, a11y_problems, follow, signed_in_page
from tests.factories_stats import Situation, bulk_situations, mixed


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_statistics_page_is_accessible_with_table_alternatives(live_server, browser, world):
    bulk_situations(world.a, 2025, mixed(60) + [Situation(source=Source.ASSOCIATION, age=12)] * 3)
    requests: list[str] = []
    page = signed_in_page(browser, live_server, world.a.members["state_member"])
    page.on("request", lambda r: requests.append(r.url))
    response = page.goto("/statistiques/?annee=2025")
    assert response is not None and response.status == 200
    problems = a11y_problems(page, "stats-01-page")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(SHOTS / "stats-02-top.png"))

    # Every chart is an image with a name, followed by its table with a caption.
    charts = page.locator("svg[role=img]")
    expect(charts).to_have_count(7)
    for i in range(charts.count()):
        title = charts.nth(i).locator("title").text_content() or ""
        assert title.startswith("Graphique")
    expect(page.locator("table caption")).to_have_count(8)  # 7 tables + the activity table
    assert page.get_by_role("cell", name="< 5").count() >= 1
    expect(page.get_by_text("Canari")).to_have_count(0)

    # The filter form with its select boxes, checked too (the only interactive part).
    page.get_by_label("Année").select_option("2025")
    follow(page, page.get_by_role("button", name="Afficher"))
    problems += a11y_problems(page, "stats-03-filtered")
    assert problems == [], problems
    assert all(url.startswith(live_server.url) for url in requests)  # nothing left localhost
