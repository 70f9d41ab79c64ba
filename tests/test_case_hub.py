"""The situation page as the hub (docs/rules.md §2): each section shows what the membership may see."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cmer.cases.services import case_transition
from cmer.cases.states import State
from cmer.core.french import format_datetime
from cmer.exchange.services import feedback_record
from cmer.meetings.models import AgendaItem, Decision, ItemKind
from tests.factories import make_referral
from tests.factories_exchange import make_transmission
from tests.factories_meetings import make_meeting, make_plan
from tests.personas import persona_client

pytestmark = pytest.mark.django_db


def _hub_case(world, n: int = 1):  # type: ignore[no-untyped-def]
    """A supported case with `n` of everything: facts, meetings with decisions, actions, transmissions."""
    cw = world.a
    plan = make_plan(cw, services=("svc-member", "svc-state_member", "svc-other") * n)
    case = plan.case
    for _ in range(n):
        make_referral(cw, case=case, observations=2)
        meeting = make_meeting(cw)
        item = AgendaItem.objects.create(meeting=meeting, case=case, kind=ItemKind.SUPPORT_REVIEW, order=1)
        Decision.objects.create(
            item=item, kind="continue", responsible_service="CCAS", recorded_by=cw.members["coordinator"]
        )
        sent = make_transmission(cw, case=case, sent=True)
        make_transmission(cw, case=case)  # a draft

    feedback_record(
        transmission=sent,
        outcome="taken_into_account",
        received_on=timezone.localdate(),
        by=cw.members["state_member"],
    )
    case_transition(case=case, to_state=State.TO_REVIEW, by=cw.members["coordinator"], note="Revue du suivi.")
    case_transition(case=case, to_state=State.REVIEWED, by=cw.members["coordinator"])
    case_transition(case=case, to_state=State.SUPPORT, by=cw.members["coordinator"])
    return case


def _page(world, role, case):  # type: ignore[no-untyped-def]
    response = persona_client(world, role).get(reverse("cases:detail", kwargs={"pk": case.pk}))
    return response.status_code, response.content.decode()


def _sections(html: str) -> set[str]:
    return set(re.findall(r'<section id="([a-z-]+)"', html))


ALL_SECTIONS = {
    "resume",
    "personne",
    "signalements",
    "reunions",
    "accompagnement",
    "echanges-etat",
    "historique",
}


def test_coordinator_reaches_everything_of_the_situation_from_its_page(world):
    case = _hub_case(world)
    status, html = _page(world, "coordinator", case)
    assert status == 200
    assert _sections(html) == ALL_SECTIONS
    assert reverse("support:plan", kwargs={"pk": case.pk}) in html
    for t in case.transmissions.all():
        assert reverse("exchange:transmission_detail", kwargs={"pk": t.pk}) in html
    meeting_id = case.agenda_items.get().meeting_id
    assert reverse("meetings:detail", kwargs={"pk": meeting_id}) in html
    assert "Poursuite de l&#x27;accompagnement" in html  # the decision's label, never its code
    assert "Prise en compte" in html  # the State's feedback
    assert "Prochaine réunion" not in html  # its only meeting is under way, not to come
    assert "faisceau" in html  # the caveats of the catalogue version the facts were recorded with
    assert "continue" not in re.sub(r"<[^>]+>", " ", html).split()  # no decision code in the text
    # And back: the plan links to the situation page.
    plan = persona_client(world, "coordinator").get(reverse("support:plan", kwargs={"pk": case.pk}))
    assert reverse("cases:detail", kwargs={"pk": case.pk}) in plan.content.decode()


def test_the_summary_names_the_next_meeting_to_come_never_one_under_way_or_cancelled(world):
    case = _hub_case(world)
    later = make_meeting(world.a, in_window=False)
    AgendaItem.objects.create(meeting=later, case=case, kind=ItemKind.SUPPORT_REVIEW, order=1)
    html = _page(world, "coordinator", case)[1]
    assert f"Prochaine réunion</dt><dd>{format_datetime(later.starts_at)}" in re.sub(r">\s+<", "><", html)
    later.cancelled_at = timezone.now()
    later.save(update_fields=["cancelled_at"])
    assert "Prochaine réunion" not in _page(world, "coordinator", case)[1]


def test_member_sees_only_their_service_actions_and_no_exchange_with_the_state(world):
    case = _hub_case(world)
    status, html = _page(world, "member", case)
    assert status == 200
    assert _sections(html) == ALL_SECTIONS - {"echanges-etat"}
    assert "svc-member" in html
    assert "svc-other" not in html and "svc-state_member" not in html
    for t in case.transmissions.all():
        assert t.reference not in html


def test_state_member_sees_sent_transmissions_and_not_the_drafts(world):
    case = _hub_case(world)
    status, html = _page(world, "state_member", case)
    assert status == 200
    assert "echanges-etat" in _sections(html)
    sent, draft = case.transmissions.get(status="sent"), case.transmissions.get(status="draft")
    assert sent.reference in html and draft.reference not in html
    assert "svc-member" not in html and "svc-other" not in html


def test_guest_in_the_window_sees_no_support_and_no_exchange(world):
    case = _hub_case(world)
    item = case.agenda_items.get()
    item.guests.add(world.a.members["guest"])
    status, html = _page(world, "guest", case)
    assert status == 200
    assert not {"accompagnement", "echanges-etat"} & _sections(html)


def test_case_page_query_count_is_pinned_and_does_not_grow(world, django_assert_num_queries):
    """docs/performance.md P2: the hub runs a fixed number of queries, whatever the rows."""
    client = persona_client(world, "coordinator")
    small, big = _hub_case(world, 1), _hub_case(world, 4)
    url = reverse("cases:detail", kwargs={"pk": small.pk})
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    with django_assert_num_queries(len(ctx.captured_queries)):
        client.get(reverse("cases:detail", kwargs={"pk": big.pk}))
    # Inside a transaction (the test's), PostgreSQL takes the audit chain's advisory lock with one
    # more statement; outside one, as a page is served, the INSERT takes it (cmer/audit/services.py).
    assert len(ctx.captured_queries) == PINNED + (connection.vendor == "postgresql")


# 23 = the shell (session, user, device, membership, charter: 5; session save: 3) + the case (1) +
# its read event (2: the head and one INSERT, no savepoint) + referrals, facts, caveats (3) + transitions (1) + sections: plan and actions
# (2), agenda items and meetings offered (2), transmissions (1); + the person's information
# decisions, first case and rectifications (3, from the rights work). 16 + 3 before the hub.
PINNED = 23
