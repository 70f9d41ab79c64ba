"""Urgency first, the reporter's receipt and the grouped menu, in a real browser (issue 11).

The coordinator meets the urgent signalement on top of the dashboard and of « À qualifier »,
with its red badge, reaching the queue through the « Signalements » sub-menu; the reporter opens
the receipt of a signalement from « Mes signalements »; every role's menu holds on one line at
1280 px (coordinator, reporter, State member, DPO). axe-core runs on each page; screenshots go to
artifacts/screenshots/urgency-*.png.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cmer.cases.services import case_open
from tests.e2e.conftest import SHOTS, check_a11y, signed_in_page
from tests.factories import make_case, make_person, make_referral

WIDE = {"width": 1280, "height": 900}


def menu_rows(page) -> int:  # type: ignore[no-untyped-def]
    """How many lines the header menu takes: distinct tops of its top-level items."""
    tops = page.eval_on_selector_all(
        "#navigation .fr-nav__list > .fr-nav__item",
        "items => items.map(i => Math.round(i.getBoundingClientRect().top))",
    )
    assert tops, "no menu"
    return len(set(tops))


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_urgent_first_receipt_and_grouped_menu(live_server, browser, world):
    cw = world.a
    # An ordinary signalement, overdue, and an urgent one received after it.
    ordinary = make_case(cw, prequalification_due=timezone.localdate() - timedelta(days=2))
    urgent = case_open(person=make_person(cw.cell), by=cw.members["coordinator"], urgent=True)
    referral = make_referral(cw, case=urgent, urgent=True, description="Menaces répétées devant le collège.")

    # The coordinator: the danger-imminent card comes first on the dashboard.
    page = signed_in_page(browser, live_server, cw.members["coordinator"])
    page.set_viewport_size(WIDE)
    page.goto("/")
    first_card = page.locator(".fr-card").first
    assert "danger imminent" in first_card.inner_text().lower()
    assert urgent.reference in first_card.inner_text()
    assert menu_rows(page) == 1
    check_a11y(page, "urgency-01-coordinator-dashboard")

    # The « Signalements » sub-menu leads to the queue, where the urgent one is first with its badge.
    page.get_by_role("button", name="Signalements").click()
    page.get_by_role("link", name="À qualifier").click()
    page.wait_for_load_state()
    first_row = page.locator("tbody tr").first
    assert urgent.reference in first_row.inner_text() and "danger imminent" in first_row.inner_text().lower()
    assert ordinary.reference in page.locator("tbody tr").nth(1).inner_text()
    badge = first_row.locator(".fr-badge--error").first
    assert "rgb(" in badge.evaluate("b => getComputedStyle(b).color")
    # The current section is marked in the menu.
    assert page.get_by_role("button", name="Signalements").get_attribute("aria-current") == "true"
    check_a11y(page, "urgency-02-queue")

    # The user chip is a link to the account page, which offers the password change.
    page.locator("a.cmer-user").first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Mon compte"
    page.get_by_role("link", name="Changer mon mot de passe").click()
    page.wait_for_load_state()
    check_a11y(page, "urgency-03-password")

    # The reporter: « Signaler » on the dashboard, then a receipt from « Mes signalements ».
    reporter = signed_in_page(browser, live_server, cw.members["reporter"])
    reporter.set_viewport_size(WIDE)
    reporter.goto("/")
    assert reporter.locator("#content").get_by_role("link", name="Signaler", exact=True).count() == 1
    assert menu_rows(reporter) == 1
    check_a11y(reporter, "urgency-04-reporter-dashboard")
    reporter.locator("#content").get_by_role("link", name="Mes signalements").click()
    reporter.get_by_role("link", name=referral.reference).click()
    reporter.wait_for_load_state()
    body = reporter.locator("#content").inner_text()
    assert "Menaces répétées devant le collège." in body and "reçu" in body
    assert reporter.locator('a[href="tel:17"]').count() == 1
    check_a11y(reporter, "urgency-05-receipt")

    # The State member sees the urgent count, not the case; the DPO no card. One-line menus.
    for role, sees_card in (("state_member", True), ("dpo", False)):
        other = signed_in_page(browser, live_server, cw.members[role])
        other.set_viewport_size(WIDE)
        other.goto("/")
        text = other.locator("#content").inner_text()
        assert ("1 signalement urgent" in text) is sees_card, role
        assert urgent.reference not in text
        assert menu_rows(other) == 1, role
        check_a11y(other, f"urgency-06-{role}-dashboard")
    SHOTS.mkdir(parents=True, exist_ok=True)
