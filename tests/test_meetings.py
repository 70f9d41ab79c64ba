"""Meetings: convocation, agenda, guests, session, decisions, relevé, and need-to-know scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cmer.accounts.models import CharterAcceptance
from cmer.audit.models import AuditEvent
from cmer.cases.models import Case, SupportPlan, Transition
from cmer.cases.states import State
from cmer.meetings import services
from cmer.meetings.models import AgendaItem, Attendee, Decision, ItemKind, Meeting
from cmer.meetings.notifications import MEETING_CONVENED
from cmer.meetings.permissions import in_meeting_window
from cmer.notifications.models import Notification
from tests.factories import make_case, make_person
from tests.factories_meetings import make_action, make_item, make_meeting
from tests.personas import make_membership, make_user, persona_client

pytestmark = pytest.mark.django_db


def test_create_suggests_the_next_date_from_the_cell_cadence(world):
    cell = world.a.cell
    cell.meeting_cadence_weeks = 5
    cell.save()
    suggested = services.suggested_start(cell)
    assert suggested.date() == timezone.localdate() + timedelta(weeks=5)
    client = persona_client(world, "coordinator")
    response = client.post(
        reverse("meetings:create"),
        {"starts_at": "2027-01-12T14:00", "ends_at": "2027-01-12T16:00", "place": "Salle B"},
    )
    meeting = Meeting.objects.get(cell=cell)
    assert response.status_code == 302 and meeting.place == "Salle B"
    assert AuditEvent.objects.filter(action="meeting.scheduled", target_id=str(meeting.pk)).count() == 1


def test_create_refuses_an_end_before_the_start(world):
    client = persona_client(world, "coordinator")
    response = client.post(
        reverse("meetings:create"),
        {"starts_at": "2027-01-12T14:00", "ends_at": "2027-01-12T13:00", "place": "Salle B"},
    )
    assert response.status_code == 400
    assert "La fin de la réunion doit suivre son début." in response.content.decode()
    assert not Meeting.objects.exists()


def test_convocation_needs_the_charter_and_notifies_without_names(world):
    meeting = make_meeting(world.a, convened=False)
    newcomer = make_membership(
        make_user("new@test.cmer", last="Nouveau"), world.a.cell, "member", accept=False
    )
    client = persona_client(world, "coordinator")
    page = client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk})).content.decode()
    assert "n&#x27;a pas accepté la charte" in page or "n'a pas accepté la charte" in page

    refused = client.post(
        reverse("meetings:convene", kwargs={"pk": meeting.pk}), {"attendees": [newcomer.pk]}
    )
    assert refused.status_code == 400
    assert not Attendee.objects.filter(meeting=meeting).exists()

    member = world.a.members["member"]
    ok = client.post(
        reverse("meetings:convene", kwargs={"pk": meeting.pk}),
        {"attendees": [member.pk, world.a.members["state_member"].pk]},
    )
    assert ok.status_code == 302
    meeting.refresh_from_db()
    assert meeting.convened_at is not None
    assert set(meeting.attendees.values_list("membership_id", flat=True)) == {
        member.pk,
        world.a.members["state_member"].pk,
    }
    notes = Notification.objects.filter(kind=MEETING_CONVENED)
    assert {n.recipient_id for n in notes} == {member.user_id, world.a.user("state_member").pk}
    assert all(
        (n.target_type, n.target_id, n.link) == ("meetings.meeting", meeting.pk, f"/reunions/{meeting.pk}/")
        for n in notes
    )
    # The newcomer accepts the charter: now convenable.
    CharterAcceptance.objects.create(membership=newcomer, charter=world.a.cell.current_charter())
    assert services.meeting_convene(
        meeting=meeting, memberships=[newcomer], by=world.a.members["coordinator"]
    )


def test_a_member_posted_twice_is_convened_once(world):
    """A replayed or forged form listing a member twice: one attendee, one notice, no 500."""
    meeting = make_meeting(world.a, convened=False)
    member = world.a.members["member"]
    response = persona_client(world, "president").post(
        reverse("meetings:convene", kwargs={"pk": meeting.pk}), {"attendees": [member.pk, member.pk]}
    )
    assert response.status_code == 302
    assert Attendee.objects.filter(meeting=meeting, membership=member).count() == 1
    assert Notification.objects.filter(kind=MEETING_CONVENED, recipient=member.user).count() == 1


def test_agenda_items_take_their_kind_from_the_case_state_and_can_be_ordered(world):
    meeting = make_meeting(world.a)
    coordinator = world.a.members["coordinator"]
    cases = [make_case(world.a, s) for s in (State.TO_REVIEW, State.WATCH, State.SUPPORT)]
    client = persona_client(world, "coordinator")
    for case in cases:
        assert (
            client.post(
                reverse("meetings:item_add", kwargs={"pk": meeting.pk}), {"case": case.pk}
            ).status_code
            == 302
        )
    kinds = list(meeting.items.order_by("order").values_list("kind", flat=True))
    assert kinds == [ItemKind.REVIEW, ItemKind.WATCH, ItemKind.SUPPORT_REVIEW]
    # A received case is not a candidate: the form refuses it.
    received = make_case(world.a, State.RECEIVED)
    assert (
        client.post(
            reverse("meetings:item_add", kwargs={"pk": meeting.pk}), {"case": received.pk}
        ).status_code
        == 400
    )
    last = meeting.items.get(case=cases[2])
    client.post(reverse("meetings:item_move", kwargs={"pk": last.pk}), {"direction": "up"})
    assert list(meeting.items.order_by("order").values_list("case_id", flat=True)) == [
        cases[0].pk,
        cases[2].pk,
        cases[1].pk,
    ]
    first = meeting.items.get(case=cases[0])
    client.post(reverse("meetings:item_remove", kwargs={"pk": first.pk}))
    assert not AgendaItem.objects.filter(pk=first.pk).exists()
    assert AuditEvent.objects.filter(action="meeting.item_removed").count() == 1
    with pytest.raises(services.MeetingError):
        services.agenda_add(meeting=meeting, case=cases[1], by=coordinator)  # already there


def test_guest_invited_to_one_item_gets_an_attendee_row(world):
    item = make_item(world.a, guest=False)
    guest = world.a.members["guest"]
    client = persona_client(world, "president")
    assert (
        client.post(reverse("meetings:item_guest", kwargs={"pk": item.pk}), {"guest": guest.pk}).status_code
        == 302
    )
    assert list(item.guests.all()) == [guest]
    assert Attendee.objects.filter(meeting=item.meeting, membership=guest).exists()
    # A member is not a guest: refused.
    with pytest.raises(services.MeetingError):
        services.guest_invite(item=item, guest=world.a.members["member"], by=world.a.members["president"])


def test_session_opens_with_the_reminder_and_shows_names_only_to_entitled_attendees(world):
    meeting = make_meeting(world.a, opened=True)
    person = make_person(world.a.cell, last_name="Canarinom", first_name="Zoé")
    mine = make_item(world.a, meeting, person=person)  # the guest is invited to this one
    other = make_item(world.a, meeting, guest=False, person=make_person(world.a.cell, last_name="Autrenom"))
    for role in ("member", "coordinator"):
        before = AuditEvent.objects.filter(action="meeting.names_read").count()
        page = (
            persona_client(world, role)
            .get(reverse("meetings:session", kwargs={"pk": meeting.pk}))
            .content.decode()
        )
        assert page.index("Rappel de confidentialité") < page.index(mine.case.reference)
        assert "Canarinom" in page and "Autrenom" in page
        assert AuditEvent.objects.filter(action="meeting.names_read").count() == before + 1
    guest_page = persona_client(world, "guest").get(reverse("meetings:session", kwargs={"pk": meeting.pk}))
    text = guest_page.content.decode()
    assert "Canarinom" in text and "Autrenom" not in text and other.case.reference not in text
    # The agenda page itself shows references only, never names.
    agenda = persona_client(world, "coordinator").get(reverse("meetings:detail", kwargs={"pk": meeting.pk}))
    assert mine.case.reference in agenda.content.decode() and "Canarinom" not in agenda.content.decode()
    # A president who is not convened sees no names.
    meeting.attendees.filter(membership=world.a.members["president"]).delete()
    page = persona_client(world, "president").get(reverse("meetings:session", kwargs={"pk": meeting.pk}))
    assert "Canarinom" not in page.content.decode()
    # The names never appear in the audit trail.
    assert not AuditEvent.objects.filter(data__icontains="Canarinom").exists()


def _decide(world, item, **data):
    client = persona_client(world, "coordinator")
    payload = {"responsible_service": "svc-member", **data}
    return client.post(reverse("meetings:decide", kwargs={"pk": item.pk}), payload)


def test_propose_support_needs_consent_and_for_a_minor_the_parental_information(world):
    meeting = make_meeting(world.a, opened=True)
    item = make_item(world.a, meeting, person=make_person(world.a.cell, birth_date=date(2012, 1, 1)))
    assert item.case.is_minor
    no_consent = _decide(world, item, kind="propose_support")
    assert no_consent.status_code == 400 and "libre adhésion" in no_consent.content.decode()
    no_parents = _decide(world, item, kind="propose_support", consent_on=str(timezone.localdate()))
    assert no_parents.status_code == 400
    assert "titulaires de l&#x27;autorité parentale" in no_parents.content.decode()
    item.case.refresh_from_db()
    assert item.case.state == State.TO_REVIEW and not Decision.objects.exists()
    assert not Transition.objects.filter(case=item.case).exists()
    today = str(timezone.localdate())
    ok = _decide(
        world, item, kind="propose_support", consent_on=today, parental_info_on=today, path_referent="CCAS"
    )
    assert ok.status_code == 302
    item.case.refresh_from_db()
    assert item.case.state == State.SUPPORT
    plan = SupportPlan.objects.get(case=item.case)
    assert plan.parental_info_on == timezone.localdate() and plan.path_referent == "CCAS"
    assert list(Transition.objects.filter(case=item.case).values_list("to_state", flat=True)) == [
        State.REVIEWED,
        State.SUPPORT,
    ]
    assert Decision.objects.get(item=item).kind == "propose_support"
    assert AuditEvent.objects.filter(action="meeting.decision_recorded").count() == 1


def test_decisions_move_the_case_along_the_state_machine(world):
    meeting = make_meeting(world.a, opened=True)
    transmit = make_item(world.a, meeting)
    close = make_item(world.a, meeting, state=State.SUPPORT)
    keep = make_item(world.a, meeting, state=State.SUPPORT)
    watch = make_item(world.a, meeting)
    assert _decide(world, transmit, kind="transmit_to_state").status_code == 302
    assert _decide(world, close, kind="close", close_reason="end_of_support").status_code == 302
    assert (
        _decide(
            world, keep, kind="continue", deadline=str(timezone.localdate() + timedelta(days=30))
        ).status_code
        == 302
    )
    assert _decide(world, watch, kind="watch").status_code == 302
    states = {i.pk: Case.objects.get(pk=i.case_id).state for i in (transmit, close, keep, watch)}
    assert states == {
        transmit.pk: State.TRANSMITTED,
        close.pk: State.CLOSED,
        keep.pk: State.SUPPORT,
        watch.pk: State.WATCH,
    }
    assert Case.objects.get(pk=close.case_id).close_reason == "end_of_support"


def test_invalid_decisions_are_refused_with_a_clear_message_and_nothing_written(world):
    meeting = make_meeting(world.a, opened=True)
    item = make_item(world.a, meeting)
    # "continue" only applies to a support review: not even offered in the form.
    assert _decide(world, item, kind="continue").status_code == 400
    # The case changed state since it was put on the agenda.
    Case.objects.filter(pk=item.case_id).update(state=State.CLOSED)
    response = _decide(world, item, kind="watch")
    assert response.status_code == 400
    assert "plus dans l&#x27;état prévu" in response.content.decode()
    assert not Decision.objects.exists()
    # A closing decision without reason.
    other = make_item(world.a, meeting)
    assert _decide(world, other, kind="close").status_code == 400
    assert Case.objects.get(pk=other.case_id).state == State.TO_REVIEW
    # Before the session is opened, no decision.
    later = make_item(world.a, make_meeting(world.a))
    response = _decide(world, later, kind="watch")
    assert response.status_code == 400 and "Ouvrez d&#x27;abord la séance" in response.content.decode()


def test_watch_renewal_cap_is_enforced(world):
    world.a.cell.watch_max_renewals = 1
    world.a.cell.save()
    case = make_case(world.a, State.TO_REVIEW)
    for n in range(3):
        meeting = make_meeting(world.a, opened=True)
        kind = ItemKind.REVIEW if n == 0 else ItemKind.WATCH
        item = AgendaItem.objects.create(meeting=meeting, case=case, kind=kind)
        response = _decide(world, item, kind="watch")
        case.refresh_from_db()
        if n < 2:
            assert response.status_code == 302 and case.state == State.WATCH
    assert response.status_code == 400 and "renouvelée" in response.content.decode()
    assert case.watch_renewals == 1 and case.state == State.WATCH


def test_only_the_president_validates_a_complete_releve(world):
    meeting = make_meeting(world.a, opened=True)
    item = make_item(world.a, meeting)
    url = reverse("meetings:validate", kwargs={"pk": meeting.pk})
    assert persona_client(world, "coordinator").post(url).status_code == 403
    persona_client(world, "president").post(url)
    meeting.refresh_from_db()
    assert meeting.minutes_validated_at is None  # one item without decision
    _decide(world, item, kind="watch")
    persona_client(world, "president").post(url)
    meeting.refresh_from_db()
    assert meeting.minutes_validated_by == world.a.members["president"]
    assert (
        AuditEvent.objects.filter(action="meeting.minutes_validated", target_id=str(meeting.pk)).count() == 1
    )
    # After validation the meeting is frozen.
    with pytest.raises(services.MeetingError):
        services.agenda_add(
            meeting=meeting, case=make_case(world.a, State.TO_REVIEW), by=world.a.members["president"]
        )


def _visible(world, role):
    return set(Case.objects.visible_to(world.a.members[role]).values_list("pk", flat=True))


def test_member_scope_runs_from_convocation_until_the_releve_is_validated(world):
    meeting = make_meeting(world.a, convened=False, in_window=False)
    item = make_item(world.a, meeting, guest=False)
    case_id = item.case_id
    assert case_id not in _visible(world, "member")
    services.meeting_convene(
        meeting=meeting,
        memberships=[world.a.members["member"], world.a.members["state_member"]],
        by=world.a.members["coordinator"],
    )
    assert case_id in _visible(world, "member") and case_id in _visible(world, "state_member")
    for role in ("reporter", "trainer", "dpo", "guest"):
        assert _visible(world, role) == set()
    Meeting.objects.filter(pk=meeting.pk).update(minutes_validated_at=timezone.now())
    assert case_id not in _visible(world, "member")
    # An action of the member's service brings a case into scope, for that service only.
    action = make_action(world.a, "svc-member")
    assert action.case_id in _visible(world, "member")
    assert action.case_id not in _visible(world, "state_member")


def test_guest_sees_only_their_item_during_the_meeting_window(world):
    meeting = make_meeting(world.a, in_window=False)
    theirs = make_item(world.a, meeting)
    not_theirs = make_item(world.a, meeting, guest=False)
    assert _visible(world, "guest") == set()
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )
    assert _visible(world, "guest") == {theirs.case_id}
    page = (
        persona_client(world, "guest")
        .get(reverse("meetings:detail", kwargs={"pk": meeting.pk}))
        .content.decode()
    )
    assert theirs.case.reference in page and not_theirs.case.reference not in page
    assert (
        persona_client(world, "guest").get(reverse("meetings:minutes", kwargs={"pk": meeting.pk})).status_code
        == 403
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# 8 queries are the request shell (session, user, device, membership, charter acceptance, session save);
# the agenda itself takes 6 whatever the number of items, candidates, attendees and guests.
AGENDA_QUERIES = 14


def test_agenda_query_count_is_pinned_and_does_not_grow_with_cases(world, django_assert_num_queries):
    client = persona_client(world, "coordinator")
    for n in (10, 200):
        meeting = make_meeting(world.a)
        for _ in range(n):
            make_item(world.a, meeting)
        make_case(world.a, State.TO_REVIEW)  # a candidate for the "add" form
        url = reverse("meetings:detail", kwargs={"pk": meeting.pk})
        with django_assert_num_queries(AGENDA_QUERIES):
            assert client.get(url).status_code == 200


def test_member_dashboard_query_count_does_not_grow_with_cases(world, django_assert_max_num_queries):
    """Other apps add widgets to the same dashboard: the pin is 'same count at both scales, <= 15'."""
    client = persona_client(world, "member")
    counts = []
    for n in (10, 190):
        for _ in range(n):
            make_action(world.a, "svc-member")
        meeting = make_meeting(world.a, in_window=False)
        make_item(world.a, meeting)
        with django_assert_max_num_queries(15):
            counts.append(_count(client, reverse("core:dashboard")))
    assert counts[0] == counts[1], counts
    page = client.get(reverse("core:dashboard")).content.decode()
    assert "Mes actions à échéance" in page and "Prochaine réunion" in page


def _items_for(membership):
    return set(AgendaItem.objects.visible_to(membership).values_list("pk", flat=True))


def test_agenda_items_visible_to_applies_the_guest_item_and_window_rules(world):
    meeting = make_meeting(world.a, in_window=False)
    theirs = make_item(world.a, meeting)
    other = make_item(world.a, meeting, guest=False)
    for role in ("president", "coordinator", "member", "state_member"):
        assert _items_for(world.a.members[role]) == {theirs.pk, other.pk}, role
    for role in ("reporter", "trainer", "dpo"):
        assert _items_for(world.a.members[role]) == set(), role
    assert _items_for(None) == set()
    assert _items_for(world.b.members["coordinator"]) == set()
    # A guest: nothing before the meeting, their item only during it, nothing after it.
    guest = world.a.members["guest"]
    assert _items_for(guest) == set() and not in_meeting_window(meeting)
    now = timezone.now()
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1)
    )
    meeting.refresh_from_db()
    assert _items_for(guest) == {theirs.pk} and in_meeting_window(meeting)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)
    )
    meeting.refresh_from_db()
    assert _items_for(guest) == set() and not in_meeting_window(meeting)


def test_guest_outside_the_window_sees_the_meeting_but_no_item(world):
    meeting = make_meeting(world.a, in_window=False)
    item = make_item(world.a, meeting)
    guest = persona_client(world, "guest")
    page = guest.get(reverse("meetings:detail", kwargs={"pk": meeting.pk}))
    assert page.status_code == 200 and item.case.reference not in page.content.decode()
    # Acting on the item is refused as if it did not exist.
    assert guest.post(reverse("meetings:item_remove", kwargs={"pk": item.pk})).status_code == 404
    assert AgendaItem.objects.filter(pk=item.pk).exists()


def test_meeting_pdfs_are_routed_from_the_meetings_urls(world):
    meeting = make_meeting(world.a)
    make_item(world.a, meeting)
    client = persona_client(world, "coordinator")
    for name, path in (
        ("convocation_pdf", "convocation.pdf"),
        ("agenda_pdf", "ordre-du-jour.pdf"),
        ("minutes_pdf", "releve-de-decisions.pdf"),
    ):
        url = reverse(f"meetings:{name}", kwargs={"pk": meeting.pk})
        assert url == f"/reunions/{meeting.pk}/{path}"
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        with pytest.raises(NoReverseMatch):
            reverse(f"stats:meeting_{name}", kwargs={"pk": meeting.pk})


def test_next_meeting_widget_offers_scheduling_to_managers_only(world):
    assert not Meeting.objects.filter(cell=world.a.cell).exists()
    coordinator = persona_client(world, "coordinator").get(reverse("core:dashboard")).content.decode()
    member = persona_client(world, "member").get(reverse("core:dashboard")).content.decode()
    assert "Aucune réunion prévue" in coordinator and "Aucune réunion prévue" in member
    assert "Planifier une réunion" in coordinator and "Planifier une réunion" not in member


@pytest.mark.parametrize(
    ("starts", "ends"),
    [("0001-01-01T00:00", "0001-01-01T02:00"), ("2027-01-12T14:00", "9999-12-31T23:59")],
)
def test_create_refuses_an_out_of_range_date_with_a_message(world, starts, ends):
    """Year 0001 in Paris time is before the earliest instant Python can hold in UTC."""
    client = persona_client(world, "coordinator")
    before = AuditEvent.objects.count()
    response = client.post(
        reverse("meetings:create"), {"starts_at": starts, "ends_at": ends, "place": "Salle B"}
    )
    assert response.status_code == 400
    assert "Choisissez une date entre 2000 et 2099." in response.content.decode()
    assert not Meeting.objects.exists() and AuditEvent.objects.count() == before
