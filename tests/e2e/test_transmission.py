"""Transmission journey in the browser (issue #4, "Must show").

The coordinator prepares a transmission (it is not sent, and she has no approve button), the
president approves it from his inbox, a State member records the State's feedback. axe-core runs
on every page; screenshots (CMER_SCREENSHOTS=1) go to artifacts/screenshots/exchange-*.png.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cmer.exchange.models import StateFeedback, Transmission, TransmissionStatus
from tests.e2e.conftest import SHOTS, a11y_problems, follow, signed_in_page
from tests.factories_exchange import make_case_with_facts, make_prefect_info


class Browser:
    def __init__(self, browser, live_server) -> None:  # type: ignore[no-untyped-def]
        self.browser, self.live_server, self.base = browser, live_server, live_server.url
        self.step = 0
        self.problems: list[str] = []

    def page_for(self, membership):  # type: ignore[no-untyped-def]
        return signed_in_page(self.browser, self.live_server, membership)

    def check(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        self.step += 1
        assert page.locator("h1").count() >= 1, f"{name}: no heading (error page?)"
        self.problems += a11y_problems(page, f"exchange-{self.step:02d}-{name}")

    def goto(self, page, path: str, name: str):  # type: ignore[no-untyped-def]
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{name}: {response and response.status}"
        self.check(page, name)
        return page


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_prepare_approve_feedback(live_server, browser, world):
    case = make_case_with_facts(world.a, facts=2)
    make_prefect_info(world.a, case=case)
    b = Browser(browser, live_server)

    # 1. The coordinator prepares it: a draft, not sent, and no way for her to approve it.
    coord = b.page_for(world.a.members["coordinator"])
    b.goto(coord, reverse("exchange:transmission_create", args=[case.pk]), "prepare-form")
    coord.select_option("select[name=recipient]", "prefecture_ged")
    coord.select_option("select[name=legal_basis]", "protocol")
    coord.select_option("select[name=purpose]", "evaluation")
    boxes = coord.locator("input[name=observations]")
    expect(boxes).to_have_count(2)
    boxes.nth(0).check(force=True)
    boxes.nth(1).check(force=True)
    follow(coord, coord.get_by_role("button", name="Préparer la transmission"))
    expect(coord.get_by_text("sera envoyée après approbation du président")).to_be_visible()
    expect(coord.get_by_role("button", name="Approuver et envoyer")).to_have_count(0)
    b.check(coord, "draft-seen-by-preparer")
    t = Transmission.objects.get(case=case)
    assert t.status == TransmissionStatus.DRAFT and t.approved_at is None

    # 2. The president finds it in his inbox and approves it.
    president = b.page_for(world.a.members["president"])
    b.goto(president, "/notifications/", "president-inbox")
    follow(president, president.get_by_role("button", name="Ouvrir").first)
    assert president.url.endswith(reverse("exchange:transmission_detail", args=[t.pk]))
    b.check(president, "to-approve")
    follow(president, president.get_by_role("button", name="Approuver et envoyer"))
    expect(president.get_by_text("compte désormais comme envoyée")).to_be_visible()
    b.check(president, "approved")
    t.refresh_from_db()
    assert t.status == TransmissionStatus.SENT and t.approved_by == world.a.members["president"]

    # 3. A State member records the feedback from the closed list.
    state = b.page_for(world.a.members["state_member"])
    b.goto(state, "/echanges/transmissions/", "register-state-member")
    follow(state, state.get_by_role("link", name=f"Enregistrer le retour {t.reference}"))
    b.check(state, "feedback-form")
    state.locator("input[name=outcome][value=taken_into_account]").check(force=True)
    state.fill("input[name=received_on]", timezone.localdate().isoformat())
    follow(state, state.get_by_role("button", name="Enregistrer le retour"))
    expect(state.get_by_text("Retour de l'État enregistré.")).to_be_visible()
    b.check(state, "register-with-feedback")
    assert StateFeedback.objects.get(transmission=t).outcome == "taken_into_account"
    # The State member (not its author) does not see the préfet information compartment's entry.
    state.goto("/echanges/informations-prefet/")
    expect(state.get_by_text("Demande ou versement de subvention")).to_have_count(0)

    # 4. The other pages of the issue, for accessibility.
    b.goto(coord, "/echanges/transmissions/", "register-coordinator")
    # The printed register: print CSS hides the shell and the buttons, keeps the table.
    coord.emulate_media(media="print")
    assert coord.locator("header.fr-header").is_hidden()
    assert coord.get_by_role("button", name="Imprimer le registre").is_hidden()
    expect(coord.get_by_text(t.reference).first).to_be_visible()
    # Paper cannot scroll: the last column must lie inside the page width.
    last = coord.locator("table thead th").last.bounding_box()
    assert last is not None and last["x"] + last["width"] <= coord.viewport_size["width"]
    coord.screenshot(path=str(SHOTS / "exchange-register-print.png"), full_page=True)
    coord.pdf(path=str(SHOTS / "exchange-register-print.pdf"), landscape=True, format="A4")
    coord.emulate_media(media="screen")
    b.goto(coord, "/echanges/informations-prefet/", "prefect-info-list")
    b.goto(coord, "/echanges/informations-prefet/nouvelle/", "prefect-info-form")
    b.goto(president, "/echanges/points-menace/", "briefings")
    b.goto(president, "/notifications/preferences/", "preferences")
    b.goto(president, "/", "dashboard")

    assert not b.problems, "axe serious/critical violations:\n" + "\n".join(b.problems)
