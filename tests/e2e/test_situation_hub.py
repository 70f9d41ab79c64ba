"""The situation as the hub, in the browser (issue 11, items 2, 3 and 6).

The coordinator goes from the situation page to its plan, its transmission and its meeting, and
back each time; a State member opens a transmission from « Retours attendus » and records the
State's feedback; a situation transmitted urgently is closed from its page. The transmissions
register fits 1280 px and scrolls inside its table on a phone. axe-core on every page;
screenshots in artifacts/screenshots/hub-*.png.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cmer.cases.models import Case
from cmer.cases.states import State
from cmer.exchange.models import StateFeedback
from cmer.meetings.models import AgendaItem, Decision, ItemKind
from tests.e2e.conftest import a11y_problems, page_width_overflow, signed_in_page
from tests.factories import make_referral
from tests.factories_exchange import make_case_with_facts, make_transmission
from tests.factories_meetings import make_meeting, make_plan


class Journey:
    def __init__(self, browser, live_server) -> None:  # type: ignore[no-untyped-def]
        self.browser, self.live_server = browser, live_server
        self.step = 0
        self.problems: list[str] = []

    def page_for(self, membership, width: int = 1280):  # type: ignore[no-untyped-def]
        page = signed_in_page(self.browser, self.live_server, membership)
        page.set_viewport_size({"width": width, "height": 900})
        return page

    def check(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        self.step += 1
        assert page.locator("h1").count() >= 1, f"{name}: no heading (error page?)"
        assert page_width_overflow(page) == 0, f"{name}: the page is wider than the window"
        self.problems += a11y_problems(page, f"hub-{self.step:02d}-{name}")

    def click(self, page, locator, name: str) -> None:  # type: ignore[no-untyped-def]
        locator.first.click()
        page.wait_for_load_state()
        self.check(page, name)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_situation_hub_state_feedback_and_urgent_closure(live_server, browser, world):
    cw = world.a
    plan = make_plan(cw, services=("svc-member",))
    case = plan.case
    make_referral(cw, case=case, observations=2)
    meeting = make_meeting(cw)
    item = AgendaItem.objects.create(meeting=meeting, case=case, kind=ItemKind.SUPPORT_REVIEW, order=1)
    Decision.objects.create(
        item=item, kind="continue", responsible_service="CCAS", recorded_by=cw.members["coordinator"]
    )
    sent = make_transmission(cw, case=case, sent=True)
    urgent = make_case_with_facts(cw)
    Case.objects.filter(pk=urgent.pk).update(state=State.URGENT_TRANSMITTED)
    j = Journey(browser, live_server)
    case_url = reverse("cases:detail", args=[case.pk])

    # 1. The coordinator: from the situation to its plan, transmission and meeting, and back.
    coord = j.page_for(cw.members["coordinator"])
    coord.goto(case_url)
    j.check(coord, "situation")
    for heading in (
        "Réunions et décisions",
        "Accompagnement et actions",
        "Échanges avec l'État",
        "Historique",
    ):
        assert coord.get_by_role("heading", name=heading).is_visible()
    assert coord.get_by_text("Poursuite de l'accompagnement").is_visible()
    j.click(coord, coord.get_by_role("link", name="Ouvrir le plan d'accompagnement"), "plan")
    j.click(
        coord, coord.get_by_role("link", name=f"Retour à la situation {case.reference}"), "back-from-plan"
    )
    assert coord.url.endswith(f"{case_url}#accompagnement")
    j.click(coord, coord.locator("#echanges-etat").get_by_role("link", name=sent.reference), "transmission")
    j.click(
        coord,
        coord.get_by_role("link", name=f"Retour à la situation {case.reference}"),
        "back-from-transmission",
    )
    j.click(
        coord,
        coord.locator("#reunions").get_by_role("link").filter(has_text=re.compile(r"\d{4} à")),
        "meeting",
    )
    j.click(coord, coord.get_by_role("link", name=case.reference), "back-from-meeting")
    assert coord.url.endswith(f"{case_url}#reunions")

    # 2. The register fits 1280 px; on a phone it scrolls inside its table, not the page.
    coord.get_by_role("button", name="État").click()  # the « État » sub-menu
    j.click(coord, coord.locator("a[href='/echanges/transmissions/']"), "register-1280")
    feedback_header = coord.get_by_role("columnheader", name="Retour de l'État")
    box = feedback_header.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280
    phone = j.page_for(cw.members["coordinator"], width=390)
    phone.goto("/echanges/transmissions/")
    j.check(phone, "register-390")
    container = phone.locator(".fr-table__container").first
    assert container.evaluate("e => e.scrollWidth > e.clientWidth")

    # 3. The State member: « Retours attendus », the transmission as addressed to the State, feedback.
    state = j.page_for(cw.members["state_member"])
    state.goto("/")
    j.click(state, state.get_by_role("link", name="Retours attendus"), "feedback-pending")
    j.click(state, state.get_by_role("link", name=sent.reference), "transmission-for-the-state")
    assert state.get_by_role("heading", name="Faits observés transmis").is_visible()
    assert state.get_by_text(case.reference).count() == 0  # nothing else of the situation
    j.click(state, state.get_by_role("link", name="Enregistrer le retour de l'État"), "feedback-form")
    state.get_by_text("Prise en compte").click()
    state.get_by_role("button", name="Enregistrer le retour").click()
    state.wait_for_load_state()
    j.check(state, "feedback-recorded")
    assert state.get_by_text("Aucun retour attendu").is_visible()
    assert StateFeedback.objects.filter(transmission=sent, outcome="taken_into_account").exists()

    # 4. A situation transmitted urgently is closed from its page, with a reason.
    coord.goto(reverse("cases:detail", args=[urgent.pk]))
    j.check(coord, "urgent-situation")
    coord.get_by_text("Clôturer la situation").click()
    coord.select_option("select[name=reason]", "taken_over")
    coord.get_by_role("button", name="Clôturer", exact=True).click()
    coord.wait_for_load_state()
    j.check(coord, "urgent-close-confirm")  # destructive: a confirmation page naming the reason
    urgent.refresh_from_db()
    assert urgent.state == State.URGENT_TRANSMITTED
    coord.get_by_role("button", name="Confirmer la clôture").click()
    coord.wait_for_load_state()
    j.check(coord, "urgent-closed")
    urgent.refresh_from_db()
    assert urgent.state == State.CLOSED and urgent.close_reason == "taken_over"
    assert coord.get_by_text("Situation clôturée.").is_visible()

    assert not j.problems, "\n".join(j.problems)
