"""The life of a situation in the browser, on the demo data (issue #3, "Must show").

A reporter submits a signalement → the coordinator qualifies it to_review → a meeting is convened,
held, and decides propose_support, applied when the president validates the relevé → an action is assigned to the CCAS → a CCAS member updates it
→ the case is closed. axe-core runs on every page; full-page screenshots go to
artifacts/screenshots/journey-*.png with CMER_SCREENSHOTS=1.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from faker import Faker
from playwright.sync_api import expect

from cmer.accounts import demo as accounts_demo
from cmer.accounts.management.commands.seed_demo import demo_loaders
from cmer.accounts.models import Cell, Membership
from cmer.cases.models import Action, ActionUpdate, Case, SupportPlan
from cmer.cases.states import State
from cmer.core.public_ids import public_id
from cmer.meetings.models import Decision, Meeting
from tests.e2e.conftest import MEETING_PAGE, a11y_problems, follow, signed_in_page
from tests.factories import current_indicators
from tests.factories_training import make_certification
from tests.personas import CellWorld

CANARY = "Canarijourney"


class Journey:
    """Browser pages per demo account, an axe run for every page visited."""

    def __init__(self, browser, live_server, cell: Cell) -> None:  # type: ignore[no-untyped-def]
        self.browser, self.live_server, self.base, self.cell = browser, live_server, live_server.url, cell
        self.step = 0
        self.problems: list[str] = []
        self.pages: dict[str, object] = {}

    def membership(self, role: str) -> Membership:
        return Membership.objects.get(
            cell=self.cell, role=role, user__email=accounts_demo.demo_email(role, self.cell.code)
        )

    def page(self, role: str):  # type: ignore[no-untyped-def]
        """A browser context signed in as the demo account (password and second factor done)."""
        if role not in self.pages:
            self.pages[role] = signed_in_page(self.browser, self.live_server, self.membership(role))
        return self.pages[role]

    def check(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        self.step += 1
        assert page.locator("h1").count() >= 1, f"{name}: no heading (error page?)"
        self.problems += a11y_problems(page, f"journey-{self.step:02d}-{name}")

    def goto(self, role: str, path: str, name: str):  # type: ignore[no-untyped-def]
        page = self.page(role)
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{name}: {response and response.status}"
        self.check(page, name)
        return page


def _accept_charter(journey: Journey, role: str) -> None:
    """Demo members meet the charter at first use, as in production."""
    page = journey.goto(role, "/", f"{role}-charter")
    if page.locator("input[name=accept]").count():
        page.check("input[name=accept]", force=True)
        follow(page, page.locator("form button[type=submit]", has_text="ccepter").first)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_life_of_a_situation(browser, live_server):
    faker = Faker("fr_FR")
    faker.seed_instance(2026)
    # The same loaders as `manage.py seed_demo` (accounts first, then every app's demo).
    accounts_demo.seed(faker)
    for loader in demo_loaders():
        loader(faker)
    cell = Cell.objects.get(code="MIR")
    j = Journey(browser, live_server, cell)
    members = {m.role: m for m in Membership.objects.filter(cell=cell)}
    make_certification(CellWorld(cell, members), members["reporter"].user)
    today = timezone.localdate()

    # 1. The reporter submits a signalement.
    _accept_charter(j, "reporter")
    page = j.goto("reporter", "/signalements/nouveau/", "reporter-submit")
    page.fill("[name=last_name]", CANARY)
    page.fill("[name=first_name]", "Léa")
    page.fill("[name=birth_date]", "2004-05-17")
    page.fill("[name=description]", "Absences répétées au service jeunesse depuis un mois.")
    page.select_option("[name='obs-0-indicator']", str(current_indicators()[0].pk))
    page.fill("[name='obs-0-observed_on']", str(today - timedelta(days=3)))
    page.fill("[name='obs-0-fact']", "A cessé de venir aux activités du mercredi.")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/accuse-de-reception/")
    j.check(page, "reporter-acknowledgement")
    case = Case.objects.filter(cell=cell).latest("pk")
    assert case.state == State.RECEIVED

    # 2. The coordinator qualifies it to_review.
    page = j.goto("coordinator", "/situations/a-qualifier/", "coordinator-queue")
    assert case.reference in page.content()
    page = j.goto("coordinator", reverse("cases:qualify", args=[case.pk]), "coordinator-qualify")
    assert CANARY in page.content()
    page.check("input[name=decision][value=to_review]", force=True)
    page.fill("[name=note]", "Faisceau d'indices à examiner collégialement.")
    follow(page, page.locator("main form button[type=submit]").last)
    case.refresh_from_db()
    assert case.state == State.TO_REVIEW

    # 3. A meeting is scheduled, convened, its agenda built, held; it decides propose_support.
    page = j.goto("coordinator", "/reunions/nouvelle/", "meeting-create")
    # Under way now, and on one day (a meeting never runs past midnight).
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(now - timedelta(minutes=30), midnight + timedelta(minutes=1))
    end = min(now + timedelta(hours=2), midnight + timedelta(hours=23, minutes=59))
    page.fill("[name=starts_at]", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("[name=ends_at]", end.strftime("%Y-%m-%dT%H:%M"))
    page.fill("[name=place]", "Salle du conseil municipal")
    follow(page, page.locator("main form button[type=submit]").first)
    assert re.search(MEETING_PAGE, page.url), page.url  # the form page itself would match "**/reunions/*/"
    meeting = Meeting.objects.filter(cell=cell).latest("pk")
    for role in ("president", "coordinator", "member", "state_member"):
        selector = f"input[name=attendees][value='{public_id('membership', members[role].pk)}']"
        if page.locator(selector).count():
            page.check(selector, force=True)
    follow(page, page.get_by_role("button", name="Convoquer et notifier"))
    page.select_option("[name=case]", public_id("case", case.pk))
    follow(page, page.get_by_role("button", name="Inscrire"))
    j.check(page, "meeting-agenda")
    assert case.reference in page.content() and CANARY not in page.content()
    # The séance opens on its day, recording who is present.
    radios = page.locator("input[type=radio][value=present]")
    for n in range(radios.count()):
        radios.nth(n).check(force=True)
    page.get_by_role("button", name="J'ai rappelé la confidentialité : ouvrir la séance").click()
    page.wait_for_url("**/seance/")
    j.check(page, "meeting-session")
    expect(page.locator("#confidentiality-reminder")).to_be_visible()
    assert CANARY in page.content()  # the convened coordinator, entitled, during the meeting
    item = meeting.items.get(case=case)
    form = page.locator(f"#{item.anchor} form")
    form.locator("[name=kind]").select_option("propose_support")
    form.locator("[name=responsible_service]").select_option("CCAS")
    form.locator("[name=deadline]").fill(str(today + timedelta(weeks=6)))
    form.locator("[name=consent_on]").fill(str(today))
    form.locator("[name=path_referent]").fill("Conseillère du CCAS")
    follow(page, form.locator("button[type=submit]"))
    j.check(page, "meeting-decision-recorded")
    case.refresh_from_db()
    # Recorded, not yet applied: the situation waits for the president's validation.
    assert case.state == State.TO_REVIEW and Decision.objects.get(item=item).kind == "propose_support"
    assert not SupportPlan.objects.filter(case=case).exists()

    # The president validates the relevé de décisions, which applies the decision.
    page = j.goto("president", reverse("meetings:minutes", args=[meeting.pk]), "president-minutes")
    follow(page, page.get_by_role("button", name="Valider le relevé de décisions"))
    j.check(page, "president-minutes-validated")
    meeting.refresh_from_db()
    assert meeting.minutes_validated_by_id == members["president"].pk
    case.refresh_from_db()
    assert case.state == State.SUPPORT and SupportPlan.objects.filter(case=case).exists()

    # 4. The coordinator assigns an action to the CCAS.
    page = j.goto("coordinator", reverse("support:plan", args=[case.pk]), "support-plan")
    page.fill("[name=title]", "Entretien d'orientation avec la mission locale")
    page.select_option("[name=service]", "CCAS")
    page.fill("[name=referent]", "Conseillère insertion")
    page.fill("[name=start_on]", str(today))
    page.fill("[name=end_on]", str(today + timedelta(days=21)))
    follow(page, page.get_by_role("button", name="Attribuer l'action"))
    j.check(page, "support-action-assigned")
    action = Action.objects.get(case=case)
    assert action.service == "CCAS"

    # 5. A member of the CCAS updates it from "my actions".
    _accept_charter(j, "member")
    page = j.goto("member", "/", "member-dashboard")
    assert "Mes actions à échéance" in page.content()
    page = j.goto("member", "/accompagnement/mes-actions/", "member-my-actions")
    assert case.reference in page.content()
    page.get_by_role("link", name="Entretien d'orientation avec la mission locale").click()
    page.wait_for_url("**" + reverse("support:action", args=[action.pk]))
    j.check(page, "member-action")
    page.select_option("[name=result]", "done")
    page.fill("[name=note]", "Entretien tenu le jour même, inscription faite.")
    follow(page, page.get_by_role("button", name="Enregistrer"))
    j.check(page, "member-action-updated")
    action.refresh_from_db()
    assert (
        action.result == "done" and ActionUpdate.objects.filter(action=action, by=members["member"]).exists()
    )

    # 6. The coordinator closes the case.
    page = j.goto("coordinator", reverse("cases:detail", args=[case.pk]), "case-detail")
    page.locator("summary", has_text="Clôturer la situation").click()  # a deliberate, folded step
    page.select_option("[name=reason]", "end_of_support")
    follow(page, page.get_by_role("button", name="Clôturer", exact=True))
    j.check(page, "case-close-confirm")
    case.refresh_from_db()
    assert case.state == State.SUPPORT  # asked for confirmation first
    follow(page, page.get_by_role("button", name="Confirmer la clôture"))
    j.check(page, "case-closed")
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.close_reason == "end_of_support"

    assert not j.problems, "axe serious/critical violations:\n" + "\n".join(j.problems)
