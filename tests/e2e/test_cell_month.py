"""A cell's month in a real browser, in one journey (issue 11, "Must show").

An urgent signalement comes first, with its badge, on the coordinator's dashboard and in « À
qualifier »; the reporter opens its receipt; the State member and the DPO see their dashboards.
The coordinator transmits the urgent one to the State at once. A meeting is convened while a
newcomer has not accepted the charter; a guest is invited, notified, and sees their item only
during the meeting; the séance opens on its day with attendance; a decision is corrected and
applied only when the president validates the relevé. From a situation's page the coordinator
reaches its plan, its transmission and its meeting, and comes back, without typing an address. A
State member opens the transmission from « Retours attendus » and records the State's feedback.
The situation transmitted urgently is closed from its page.

On every page visited: a heading, nothing wider than the window, axe-core with 0 serious or
critical findings, and French as a coordinator writes it (no ISO date, no English month, no
« (s) », no internal code) — the relevé's PDF too. The browser is French: date inputs read
jj/mm/aaaa. Screenshots of the key steps: artifacts/screenshots/month-*.png.
"""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cmer.cases.models import Case
from cmer.cases.services import case_open
from cmer.cases.states import State
from cmer.core.public_ids import public_id
from cmer.exchange.models import StateFeedback
from cmer.meetings.forms import OpenForm
from cmer.meetings.models import AgendaItem, Decision, ItemKind, Meeting
from cmer.meetings.notifications import MEETING_CONVENED, MEETING_GUEST_INVITED
from cmer.notifications.models import Notification
from tests.e2e.conftest import MEETING_PAGE, SHOTS, a11y_problems, follow, page_width_overflow, signed_in_page
from tests.factories import make_case, make_person, make_referral
from tests.factories_exchange import make_transmission
from tests.factories_meetings import make_meeting, make_plan
from tests.personas import make_membership, make_user
from tests.test_french import problems as french_problems
from tests.test_french import visible_text

CANARY = "Canarimonth"
WIDE = 1280


def _today_window() -> tuple[datetime, datetime]:
    """A slot of today that has begun and lasts another hour (the clock has reached the meeting).

    It begins at midnight at the earliest (from 00:00 to 00:01 a start at 00:01 had not begun yet)
    and may end after midnight: a test run at 23:59 still finds the meeting under way."""
    now = timezone.localtime()
    midnight = timezone.make_aware(datetime.combine(now.date(), time.min))
    return max(now - timedelta(minutes=20), midnight), now + timedelta(hours=1)


def menu_rows(page: Any) -> int:
    """How many lines the header menu takes: distinct tops of its top-level items."""
    tops = page.eval_on_selector_all(
        "#navigation .fr-nav__list > .fr-nav__item",
        "items => items.map(i => Math.round(i.getBoundingClientRect().top))",
    )
    assert tops, "no menu"
    return len(set(tops))


def nav(page: Any, section: str, href: str) -> None:
    """Through the header menu, as a person does: open the section's sub-menu if it has one."""
    button = page.locator("#navigation").get_by_role("button", name=section, exact=True)
    if button.count():
        button.click()
    follow(page, page.locator(f"#navigation a[href='{href}']").first)


class Month:
    """Signed-in pages per person; every page visited is checked, key steps photographed."""

    def __init__(self, browser: Any, live_server: Any) -> None:
        self.browser, self.live_server = browser, live_server
        self.shots = 0
        self.problems: list[str] = []

    def page_for(self, membership: Any, width: int = WIDE) -> Any:
        page = signed_in_page(self.browser, self.live_server, membership)
        page.set_viewport_size({"width": width, "height": 900})
        return page

    def check(self, page: Any, name: str, shot: bool = False) -> None:
        """Heading, width, axe-core and French of the page; a screenshot when someone looks at it."""
        assert page.locator("h1").count() >= 1, f"{name}: no heading (error page?)"
        assert page_width_overflow(page) == 0, f"{name}: the page is wider than the window"
        self.problems += a11y_problems(page, name)
        self.problems += [f"{name}: {p}" for p in french_problems(visible_text(page.content()))]
        if shot:
            self.shots += 1
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"month-{self.shots:02d}-{name}.png"), full_page=True)

    def click(self, page: Any, locator: Any, name: str, shot: bool = False) -> None:
        follow(page, locator.first)
        self.check(page, name, shot)

    def pdf_text(self, page: Any, path: str) -> str:
        response = page.request.get(path)
        assert response.status == 200 and response.body().startswith(b"%PDF"), path
        done = subprocess.run(["pdftotext", "-", "-"], input=response.body(), capture_output=True, check=True)
        return done.stdout.decode()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_cell_month(live_server, browser, world):
    cw = world.a
    members = cw.members
    today = timezone.localdate()
    # What the month starts with: an overdue ordinary signalement, then an urgent one received after it;
    # a situation under support with facts, a past meeting's decision and a transmission sent to the
    # State; a situation to review at the next meeting; a newcomer who has not accepted the charter.
    ordinary = make_case(cw, prequalification_due=today - timedelta(days=2))
    urgent = case_open(person=make_person(cw.cell), by=members["coordinator"], urgent=True)
    referral = make_referral(cw, case=urgent, urgent=True, description="Menaces répétées devant le collège.")
    plan = make_plan(cw, services=("svc-member",))
    hub = plan.case
    make_referral(cw, case=hub, observations=2)
    past = make_meeting(cw)
    past_item = AgendaItem.objects.create(meeting=past, case=hub, kind=ItemKind.SUPPORT_REVIEW, order=1)
    Decision.objects.create(
        item=past_item, kind="continue", responsible_service="CCAS", recorded_by=members["coordinator"]
    )
    sent = make_transmission(cw, case=hub, sent=True)
    to_review = make_case(cw, State.TO_REVIEW, person=make_person(cw.cell, last_name=CANARY))
    newcomer = make_membership(
        make_user("nouvelle@test.cmer", first="Nina", last="Nouvelle"), cw.cell, "member", accept=False
    )
    m = Month(browser, live_server)

    # 1. Urgency first: the coordinator's dashboard, then « À qualifier » through the sub-menu.
    coord = m.page_for(members["coordinator"])
    coord.goto("/")
    first_card = coord.locator(".fr-card").first
    assert "danger imminent" in first_card.inner_text().lower()
    assert urgent.reference in first_card.inner_text()
    assert menu_rows(coord) == 1
    m.check(coord, "coordinator-dashboard", shot=True)
    coord.get_by_role("button", name="Signalements").click()
    follow(coord, coord.get_by_role("link", name="À qualifier"))
    first_row = coord.locator("tbody tr").first
    assert urgent.reference in first_row.inner_text() and "danger imminent" in first_row.inner_text().lower()
    assert ordinary.reference in coord.locator("tbody tr").nth(1).inner_text()
    badge = first_row.locator(".fr-badge--error").first
    assert "rgb(" in badge.evaluate("b => getComputedStyle(b).color")
    assert coord.get_by_role("button", name="Signalements").get_attribute("aria-current") == "true"
    m.check(coord, "queue-urgent-first", shot=True)

    # 2. The others meanwhile: the reporter's receipt; the State member sees the urgent count, not
    # the case; the DPO no card. Every menu holds on one line at 1280 px.
    reporter = m.page_for(members["reporter"])
    reporter.goto("/")
    expect(reporter.locator("#content").get_by_role("link", name="Signaler", exact=True)).to_have_count(1)
    assert menu_rows(reporter) == 1
    m.check(reporter, "reporter-dashboard")
    follow(reporter, reporter.locator("#content").get_by_role("link", name="Mes signalements"))
    m.click(reporter, reporter.get_by_role("link", name=referral.reference), "reporter-receipt", shot=True)
    body = reporter.locator("#content").inner_text()
    assert "Menaces répétées devant le collège." in body and "reçu" in body
    expect(reporter.locator('a[href="tel:17"]')).to_have_count(1)
    for role, sees_card in (("state_member", True), ("dpo", False)):
        other = m.page_for(members[role])
        other.goto("/")
        text = other.locator("#content").inner_text()
        assert ("1 signalement urgent" in text) is sees_card, role
        assert urgent.reference not in text
        assert menu_rows(other) == 1, role
        m.check(other, f"{role}-dashboard")

    # 3. The coordinator transmits the urgent one to the State at once, from the queue.
    m.click(coord, coord.locator("tbody tr").first.get_by_role("link", name=urgent.reference), "qualify")
    coord.check("input[name=decision][value=urgent_transmitted]", force=True)
    coord.fill("[name=note]", "Menaces répétées : information immédiate des services de l'État.")
    follow(coord, coord.get_by_role("button", name="Enregistrer l'orientation"))
    urgent.refresh_from_db()
    assert urgent.state == State.URGENT_TRANSMITTED
    m.check(coord, "queue-after-urgent-transmission")

    # 4. Her account, from the user chip: the password change is offered.
    follow(coord, coord.locator("a.cmer-user").first)
    assert coord.locator("h1").inner_text() == "Mon compte"
    m.check(coord, "account")
    m.click(coord, coord.get_by_role("link", name="Changer mon mot de passe"), "password")

    # 5. A meeting in two days, scheduled in a French browser (date inputs read jj/mm/aaaa). Not
    # tomorrow: the séance opens from CMER_MEETING_OPEN_TOLERANCE_HOURS before midnight of its day,
    # so after 22:00 a meeting of tomorrow could already be opened and step 7 would not hold.
    nav(coord, "Réunions", "/reunions/")
    m.check(coord, "meetings")
    m.click(coord, coord.get_by_role("link", name="Planifier une réunion"), "meeting-form", shot=True)
    assert coord.evaluate("navigator.language") == "fr-FR"
    day = today + timedelta(days=2)
    coord.fill("[name=starts_at]", f"{day}T14:00")
    coord.fill("[name=ends_at]", f"{day}T16:00")
    coord.fill("[name=place]", "Salle du conseil municipal")
    follow(coord, coord.get_by_role("button", name="Planifier"))
    assert re.search(MEETING_PAGE, coord.url), coord.url  # the form page itself would match "**/reunions/*/"
    meeting = Meeting.objects.exclude(pk=past.pk).get(cell=cw.cell)

    # 6. Convening: the whole cell, the newcomer flagged as not having accepted the charter.
    assert "Nina Nouvelle" in coord.locator("#charter-pending").inner_text()
    m.check(coord, "convene-charter-pending", shot=True)
    follow(coord, coord.get_by_role("button", name="Convoquer et notifier"))
    convened = set(meeting.attendees.values_list("membership_id", flat=True))
    assert newcomer.pk in convened and members["member"].pk in convened
    assert Notification.objects.filter(kind=MEETING_CONVENED, recipient=newcomer.user).exists()

    # 7. The agenda, and a guest invited to the item: the séance opens on the meeting's day only.
    coord.select_option("[name=case]", public_id("case", to_review.pk))
    follow(coord, coord.get_by_role("button", name="Inscrire"))
    item = meeting.items.get(case=to_review)
    coord.select_option(f"#{item.anchor}-guest", public_id("membership", members["guest"].pk))
    follow(coord, coord.get_by_role("button", name="Inviter", exact=True))
    assert "s'ouvre le jour de la réunion" in coord.content()
    expect(
        coord.get_by_role("button", name="J'ai rappelé la confidentialité : ouvrir la séance")
    ).to_have_count(0)
    m.check(coord, "agenda-before-the-day")
    assert Notification.objects.filter(kind=MEETING_GUEST_INVITED, recipient=members["guest"].user).exists()

    # 8. The guest finds the meeting from « Mes réunions »: date and place only, before it starts.
    guest = m.page_for(members["guest"])
    guest.goto("/")
    assert "Mes réunions" in guest.content()
    m.check(guest, "guest-dashboard")
    guest.get_by_role("link", name="Réunion du").first.click()
    guest.wait_for_url("**" + reverse("meetings:detail", args=[meeting.pk]))
    content = guest.content()
    assert "Salle du conseil municipal" in content and to_review.reference not in content
    assert "President AAA" not in content and "Participants" not in content
    m.check(guest, "guest-before-the-window", shot=True)

    # 9. The clock reaches the meeting: the coordinator opens the séance, recording attendance.
    start, end = _today_window()
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=start, ends_at=end)
    coord.reload()
    radios = coord.locator("input[type=radio][value=present]")
    expect(radios).to_have_count(5)
    expect(coord.locator("input[type=radio]:checked")).to_have_count(0)
    for n in range(radios.count()):
        radios.nth(n).check(force=True)
    coord.locator(
        f"input[name={OpenForm.field_name(meeting.attendees.get(membership=newcomer))}][value=excused]"
    ).check(force=True)
    m.check(coord, "attendance-at-opening", shot=True)
    coord.get_by_role("button", name="J'ai rappelé la confidentialité : ouvrir la séance").click()
    coord.wait_for_url("**/seance/")
    marks = dict(meeting.attendees.values_list("membership_id", "attendance"))
    assert marks[newcomer.pk] == "excused" and marks[members["member"].pk] == "present"

    # 10. During the meeting the guest sees their item.
    guest.reload()
    assert to_review.reference in guest.content()
    m.check(guest, "guest-during-the-window", shot=True)

    # 11. A decision recorded, then corrected; the situation waits for the validation.
    form = coord.locator(f"#{item.anchor} form")
    form.locator("[name=kind]").select_option("watch")
    form.locator("[name=responsible_service]").select_option("svc-member")
    follow(coord, form.locator("button[type=submit]"))
    m.check(coord, "decision-recorded")
    form = coord.locator(f"#{item.anchor} form")
    form.locator("[name=kind]").select_option("transmit_to_state")
    form.locator("[name=responsible_service]").select_option("svc-state_member")
    follow(coord, form.get_by_role("button", name="Corriger la décision"))
    m.check(coord, "decision-corrected", shot=True)
    to_review.refresh_from_db()
    assert Decision.objects.get(item=item).kind == "transmit_to_state"
    assert to_review.state == State.TO_REVIEW

    # 12. The president validates the relevé from the meetings list: only now the situation moves.
    president = m.page_for(members["president"])
    president.goto("/")
    nav(president, "Réunions", "/reunions/")
    m.click(
        president,
        president.locator(f"a[href='{reverse('meetings:detail', args=[meeting.pk])}']"),
        "president-meeting",
    )
    m.click(
        president, president.get_by_role("link", name="Relevé de décisions"), "minutes-to-validate", shot=True
    )
    follow(president, president.get_by_role("button", name="Valider le relevé de décisions"))
    m.check(president, "minutes-validated")
    to_review.refresh_from_db()
    assert to_review.state == State.TRANSMITTED
    assert to_review.transitions.filter(to_state=State.TRANSMITTED, by=members["president"]).exists()
    minutes = m.pdf_text(president, reverse("meetings:minutes_pdf", args=[meeting.pk]))
    assert to_review.reference in minutes
    m.problems += [f"relevé PDF: {p}" for p in french_problems(minutes)]
    nav(president, "Réunions", "/reunions/")
    listing = president.content()
    assert listing.index(reverse("meetings:detail", args=[meeting.pk])) > listing.index("Réunions passées")
    m.check(president, "meetings-after-validation")

    # 13. After the meeting the guest sees its date and place again, not the item.
    Meeting.objects.filter(pk=meeting.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    guest.reload()
    assert to_review.reference not in guest.content() and "Salle du conseil municipal" in guest.content()
    m.check(guest, "guest-after-the-window")

    # 14. The situation as the hub: its plan, transmission and meeting, and back each time.
    nav(coord, "Situations", "/situations/")
    m.click(coord, coord.get_by_role("link", name=hub.reference), "situation", shot=True)
    case_url = reverse("cases:detail", args=[hub.pk])
    for heading in (
        "Réunions et décisions",
        "Accompagnement et actions",
        "Échanges avec l'État",
        "Historique",
    ):
        expect(coord.get_by_role("heading", name=heading)).to_be_visible()
    expect(coord.get_by_text("Poursuite de l'accompagnement")).to_be_visible()
    m.click(coord, coord.get_by_role("link", name="Ouvrir le plan d'accompagnement"), "plan")
    back = f"Retour à la situation {hub.reference}"
    m.click(coord, coord.get_by_role("link", name=back), "back-from-plan")
    assert coord.url.endswith(f"{case_url}#accompagnement")
    m.click(coord, coord.locator("#echanges-etat").get_by_role("link", name=sent.reference), "transmission")
    m.click(coord, coord.get_by_role("link", name=back), "back-from-transmission")
    meeting_link = coord.locator("#reunions").get_by_role("link").filter(has_text=re.compile(r"\d{4} à"))
    m.click(coord, meeting_link, "past-meeting")
    m.click(coord, coord.get_by_role("link", name=hub.reference), "back-from-meeting")
    assert coord.url.endswith(f"{case_url}#reunions")

    # 15. The register fits 1280 px; on a phone it scrolls inside its table, not the page.
    nav(coord, "État", "/echanges/transmissions/")
    m.check(coord, "register-1280")
    box = coord.get_by_role("columnheader", name="Retour de l'État").bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDE
    phone = m.page_for(members["coordinator"], width=390)
    phone.goto("/echanges/transmissions/")
    m.check(phone, "register-390", shot=True)
    assert phone.locator(".fr-table__container").first.evaluate("e => e.scrollWidth > e.clientWidth")

    # 16. The State member: « Retours attendus », the transmission as addressed to the State, feedback.
    state = m.page_for(members["state_member"])
    state.goto("/")
    m.click(state, state.get_by_role("link", name="Retours attendus"), "feedback-pending")
    m.click(state, state.get_by_role("link", name=sent.reference), "transmission-for-the-state", shot=True)
    expect(state.get_by_role("heading", name="Faits observés transmis")).to_be_visible()
    expect(state.get_by_text(hub.reference)).to_have_count(0)  # nothing else of the situation
    m.click(state, state.get_by_role("link", name="Enregistrer le retour de l'État"), "feedback-form")
    state.get_by_text("Prise en compte").click()
    follow(state, state.get_by_role("button", name="Enregistrer le retour"))
    m.check(state, "feedback-recorded", shot=True)
    expect(state.get_by_text("Aucun retour attendu")).to_be_visible()
    assert StateFeedback.objects.filter(transmission=sent, outcome="taken_into_account").exists()

    # 17. The situation transmitted urgently in step 3 is closed from its page, with a reason.
    nav(coord, "Situations", "/situations/")
    m.click(coord, coord.get_by_role("link", name=urgent.reference), "urgent-situation")
    coord.get_by_text("Clôturer la situation").click()
    coord.select_option("select[name=reason]", "taken_over")
    follow(coord, coord.get_by_role("button", name="Clôturer", exact=True))
    m.check(coord, "urgent-close-confirm", shot=True)  # destructive: a confirmation naming the reason
    assert Case.objects.get(pk=urgent.pk).state == State.URGENT_TRANSMITTED
    follow(coord, coord.get_by_role("button", name="Confirmer la clôture"))
    m.check(coord, "urgent-closed", shot=True)
    urgent.refresh_from_db()
    assert urgent.state == State.CLOSED and urgent.close_reason == "taken_over"
    expect(coord.get_by_text("Situation clôturée.")).to_be_visible()

    assert not m.problems, "\n".join(m.problems)
