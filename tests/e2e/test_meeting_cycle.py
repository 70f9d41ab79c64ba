"""A meeting's whole cycle in the browser (issue 11, items 4 and 5).

The coordinator schedules a meeting and convenes the cell while a newcomer has not accepted the
charter (she sees who); a guest is invited, notified, finds the meeting from « Mes réunions » and
sees only its date and place until it starts, then their item, and nothing after it; the séance
opens on its day with attendance; a decision is corrected before validation and moves the
situation only when the president validates. axe-core runs on every page; screenshots go to
artifacts/screenshots/meeting-cycle-*.png.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cmer.cases.states import State
from cmer.meetings.models import Decision, Meeting
from cmer.meetings.notifications import MEETING_CONVENED, MEETING_GUEST_INVITED
from cmer.notifications.models import Notification
from tests.e2e.conftest import check_a11y, signed_in_page
from tests.factories import make_case, make_person
from tests.personas import make_membership, make_user

CANARY = "Canarimeeting"


def _today_window() -> tuple[datetime, datetime]:
    """A slot that has begun and ends later the same day (the clock has reached the meeting)."""
    now = timezone.localtime()
    midnight = timezone.make_aware(datetime.combine(now.date(), time.min))
    start = max(now - timedelta(minutes=20), midnight + timedelta(minutes=1))
    end = min(now + timedelta(hours=1), midnight + timedelta(hours=23, minutes=59))
    return start, end


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_meeting_cycle(live_server, browser, world):
    cw = world.a
    members = cw.members
    user = make_user("nouvelle@test.cmer", first="Nina", last="Nouvelle")
    newcomer = make_membership(user, cw.cell, "member", accept=False)
    case = make_case(cw, State.TO_REVIEW, person=make_person(cw.cell, last_name=CANARY))
    step = iter(range(1, 100))

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        assert page.locator("h1").count() >= 1, f"{name}: no heading (error page?)"
        check_a11y(page, f"meeting-cycle-{next(step):02d}-{name}")

    # 1. The coordinator schedules tomorrow's meeting: the séance cannot be opened yet.
    coord = signed_in_page(browser, live_server, members["coordinator"])
    coord.goto("/reunions/nouvelle/")
    tomorrow = timezone.localdate() + timedelta(days=1)
    coord.fill("[name=starts_at]", f"{tomorrow}T14:00")
    coord.fill("[name=ends_at]", f"{tomorrow}T16:00")
    coord.fill("[name=place]", "Salle du conseil municipal")
    coord.get_by_role("button", name="Planifier").click()
    coord.wait_for_url("**/reunions/*/")
    meeting = Meeting.objects.get(cell=cw.cell)

    # 2. Convening: the whole cell is proposed, the newcomer flagged as not having accepted the charter.
    pending = coord.locator("#charter-pending")
    assert "Nina Nouvelle" in pending.inner_text()
    shot(coord, "convene-charter-pending")
    coord.get_by_role("button", name="Convoquer et notifier").click()
    coord.wait_for_load_state()
    convened = set(meeting.attendees.values_list("membership_id", flat=True))
    assert newcomer.pk in convened and members["member"].pk in convened
    assert Notification.objects.filter(kind=MEETING_CONVENED, recipient=newcomer.user).exists()

    # 3. The agenda, and a guest invited to the item.
    coord.select_option("[name=case]", str(case.pk))
    coord.get_by_role("button", name="Inscrire").click()
    coord.wait_for_load_state()
    item = meeting.items.get(case=case)
    coord.select_option(f"#{item.anchor}-guest", str(members["guest"].pk))
    coord.get_by_role("button", name="Inviter", exact=True).click()
    coord.wait_for_load_state()
    assert "s'ouvre le jour de la réunion" in coord.content()
    assert coord.get_by_role("button", name="J'ai rappelé la confidentialité : ouvrir la séance").count() == 0
    shot(coord, "agenda-before-the-day")
    assert Notification.objects.filter(kind=MEETING_GUEST_INVITED, recipient=members["guest"].user).exists()

    # 4. The guest finds the meeting from the dashboard: date and place only, before it starts.
    guest = signed_in_page(browser, live_server, members["guest"])
    guest.goto("/")
    assert "Mes réunions" in guest.content()
    shot(guest, "guest-dashboard")
    guest.get_by_role("link", name="Réunion du").first.click()
    guest.wait_for_url("**" + reverse("meetings:detail", args=[meeting.pk]))
    content = guest.content()
    assert "Salle du conseil municipal" in content and case.reference not in content
    assert "President AAA" not in content and "Participants" not in content
    shot(guest, "guest-before-the-window")

    # 5. The clock reaches the meeting's day and hours: the coordinator opens the séance with attendance.
    start, end = _today_window()
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=start, ends_at=end)
    coord.goto(reverse("meetings:detail", args=[meeting.pk]))
    radios = coord.locator("input[type=radio][value=present]")
    assert radios.count() == 5 and coord.locator("input[type=radio]:checked").count() == 0
    for n in range(radios.count()):
        radios.nth(n).check(force=True)
    coord.locator(f"input[name=a{meeting.attendees.get(membership=newcomer).pk}][value=excused]").check(
        force=True
    )
    shot(coord, "attendance-at-opening")
    coord.get_by_role("button", name="J'ai rappelé la confidentialité : ouvrir la séance").click()
    coord.wait_for_url("**/seance/")
    marks = dict(meeting.attendees.values_list("membership_id", "attendance"))
    assert marks[newcomer.pk] == "excused" and marks[members["member"].pk] == "present"

    # 6. During the window the guest sees their item.
    guest.reload()
    assert case.reference in guest.content()
    shot(guest, "guest-during-the-window")

    # 7. A decision recorded, then corrected; the situation waits for the validation.
    form = coord.locator(f"#{item.anchor} form")
    form.locator("[name=kind]").select_option("watch")
    form.locator("[name=responsible_service]").select_option("svc-member")
    form.locator("button[type=submit]").click()
    coord.wait_for_load_state()
    form = coord.locator(f"#{item.anchor} form")
    form.locator("[name=kind]").select_option("transmit_to_state")
    form.locator("[name=responsible_service]").select_option("svc-state_member")
    form.get_by_role("button", name="Corriger la décision").click()
    coord.wait_for_load_state()
    shot(coord, "decision-corrected")
    case.refresh_from_db()
    assert Decision.objects.get(item=item).kind == "transmit_to_state"
    assert case.state == State.TO_REVIEW

    # 8. The president validates the relevé: only now the situation moves.
    president = signed_in_page(browser, live_server, members["president"])
    president.goto(reverse("meetings:minutes", args=[meeting.pk]))
    shot(president, "minutes-to-validate")
    president.get_by_role("button", name="Valider le relevé de décisions").click()
    president.wait_for_load_state()
    shot(president, "minutes-validated")
    case.refresh_from_db()
    assert case.state == State.TRANSMITTED
    assert case.transitions.filter(to_state=State.TRANSMITTED, by=members["president"]).exists()
    president.goto("/reunions/")
    listing = president.content()
    assert listing.index(reverse("meetings:detail", args=[meeting.pk])) > listing.index("Réunions passées")

    # 9. After the meeting the guest sees its date and place again, not the item.
    Meeting.objects.filter(pk=meeting.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    guest.reload()
    assert case.reference not in guest.content() and "Salle du conseil municipal" in guest.content()
    shot(guest, "guest-after-the-window")
