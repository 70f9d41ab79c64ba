"""Meetings: convocation, agenda, guests, session, decisions, relevé, and need-to-know scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.cases.models import Case, SupportPlan, Transition
from cmer.cases.states import State
from cmer.core.public_ids import public_id
from cmer.meetings import services
from cmer.meetings.forms import OpenForm
from cmer.meetings.models import AgendaItem, Attendee, Decision, ItemKind, Meeting
from cmer.meetings.notifications import (
    MEETING_CANCELLED,
    MEETING_CONVENED,
    MEETING_GUEST_INVITED,
    MEETING_GUEST_WITHDRAWN,
)
from cmer.meetings.permissions import in_meeting_window
from cmer.notifications.models import Notification
from cmer.stats.aggregates import collect, period_for
from tests.factories import make_case, make_person
from tests.factories_meetings import make_action, make_item, make_meeting
from tests.personas import login, make_membership, make_user, persona_client

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


def test_convocation_notifies_every_member_and_shows_who_has_not_accepted_the_charter(world):
    meeting = make_meeting(world.a, convened=False)
    newcomer = make_membership(
        make_user("new@test.cmer", last="Nouveau"), world.a.cell, "member", accept=False
    )
    client = persona_client(world, "coordinator")
    page = client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk})).content.decode()
    # The coordinator sees who has not accepted the charter yet; the whole cell is proposed.
    pending = page[page.index('id="charter-pending"') :]
    assert "Nouveau" in pending[: pending.index("</div>")]
    assert f'value="{public_id("membership", newcomer.pk)}"' in page and "charte pas encore acceptée" in page

    member, state_member = world.a.members["member"], world.a.members["state_member"]
    ok = client.post(
        reverse("meetings:convene", kwargs={"pk": meeting.pk}),
        {"attendees": [public_id("membership", m.pk) for m in (member, state_member, newcomer)]},
    )
    assert ok.status_code == 302
    meeting.refresh_from_db()
    assert meeting.convened_at is not None
    assert set(meeting.attendees.values_list("membership_id", flat=True)) == {
        member.pk,
        state_member.pk,
        newcomer.pk,
    }
    notes = Notification.objects.filter(kind=MEETING_CONVENED)
    assert {n.recipient_id for n in notes} == {member.user_id, state_member.user_id, newcomer.user_id}
    assert all(
        (n.target_type, n.target_id, n.link)
        == ("meetings.meeting", meeting.pk, reverse("meetings:detail", args=[meeting.pk]))
        for n in notes
    )
    assert AuditEvent.objects.get(action="meeting.convened").data == {"added": 3, "charter_pending": 1}
    # The charter gate stays: the newcomer sees nothing of the meeting before accepting it.
    newcomer_client = login(Client(), newcomer.user, newcomer)
    gated = newcomer_client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk}))
    assert gated.status_code == 302 and gated["Location"] == reverse("accounts:charter")
    # A reporter cannot be convened: refused, nothing written.
    refused = client.post(
        reverse("meetings:convene", kwargs={"pk": meeting.pk}),
        {"attendees": [public_id("membership", world.a.members["reporter"].pk)]},
    )
    assert refused.status_code == 400 and meeting.attendees.count() == 3


def test_a_member_posted_twice_is_convened_once(world):
    """A replayed or forged form listing a member twice: one attendee, one notice, no 500."""
    meeting = make_meeting(world.a, convened=False)
    member = world.a.members["member"]
    response = persona_client(world, "president").post(
        reverse("meetings:convene", kwargs={"pk": meeting.pk}),
        {"attendees": [public_id("membership", member.pk)] * 2},
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
                reverse("meetings:item_add", kwargs={"pk": meeting.pk}), {"case": public_id("case", case.pk)}
            ).status_code
            == 302
        )
    kinds = list(meeting.items.order_by("order").values_list("kind", flat=True))
    assert kinds == [ItemKind.REVIEW, ItemKind.WATCH, ItemKind.SUPPORT_REVIEW]
    # A received case is not a candidate: the form refuses it.
    received = make_case(world.a, State.RECEIVED)
    assert (
        client.post(
            reverse("meetings:item_add", kwargs={"pk": meeting.pk}), {"case": public_id("case", received.pk)}
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
        client.post(
            reverse("meetings:item_guest", kwargs={"pk": item.pk}),
            {"guest": public_id("membership", guest.pk)},
        ).status_code
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


def _validate(world, meeting):
    response = persona_client(world, "president").post(
        reverse("meetings:validate", kwargs={"pk": meeting.pk})
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes_validated_at is not None, "the relevé was not validated"


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
    assert item.case.state == State.TO_REVIEW and not SupportPlan.objects.exists()  # until validation
    _validate(world, meeting)
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

    def states():  # type: ignore[no-untyped-def]
        return {i.pk: Case.objects.get(pk=i.case_id).state for i in (transmit, close, keep, watch)}

    before = states()
    assert before == {
        transmit.pk: State.TO_REVIEW,
        close.pk: State.SUPPORT,
        keep.pk: State.SUPPORT,
        watch.pk: State.TO_REVIEW,
    }
    assert not Transition.objects.exists()
    _validate(world, meeting)
    assert states() == {
        transmit.pk: State.TRANSMITTED,
        close.pk: State.CLOSED,
        keep.pk: State.SUPPORT,
        watch.pk: State.WATCH,
    }
    assert Case.objects.get(pk=close.case_id).close_reason == "end_of_support"
    # Every move was made by the president, as the validation's actor.
    president = world.a.members["president"]
    assert set(Transition.objects.values_list("by", flat=True)) == {president.pk}


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
        if n < 2:
            assert response.status_code == 302
            _validate(world, meeting)
            case.refresh_from_db()
            assert case.state == State.WATCH
    # The meeting hears of the cap when it records the decision, before any validation.
    assert response.status_code == 400 and "renouvelée" in response.content.decode()
    case.refresh_from_db()
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
# the agenda itself takes 7 whatever the number of items, candidates, attendees and guests: 15 until
# the attendance roll was read from the attendees' query instead of one of its own, 14 until the
# references linked for whoever may read their case (one query for all the agenda's cases).
AGENDA_QUERIES = 15


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
        assert url == reverse("meetings:detail", args=[meeting.pk]) + path
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


# --- issue 11: the séance on its day, attendance, decisions applied at validation, guests ------


def _open(client, meeting, **marks):  # type: ignore[no-untyped-def]
    roll = services.attendance_roll(meeting)
    data = {OpenForm.field_name(a): marks.get(a.membership.role, "present") for a in roll}
    return client.post(reverse("meetings:open", kwargs={"pk": meeting.pk}), data, follow=True)


def test_a_seance_opens_on_its_day_only_and_records_attendance(world):
    client = persona_client(world, "coordinator")
    # A week early: refused with the day named, nothing written.
    early = make_meeting(world.a, in_window=False)
    page = client.get(reverse("meetings:detail", kwargs={"pk": early.pk})).content.decode()
    assert "La séance s&#x27;ouvre le jour de la réunion" in page or "La séance s'ouvre le jour" in page
    roll = services.attendance_roll(early)
    assert f'name="{OpenForm.field_name(roll[0])}"' not in page  # no attendance form before the day
    response = _open(client, early)
    assert "pas avant" in response.content.decode()
    early.refresh_from_db()
    assert early.opened_at is None and not early.attendees.exclude(attendance="").exists()
    assert not AuditEvent.objects.filter(action="meeting.opened").exists()
    # Days late: refused too, with the way out.
    late = make_meeting(world.a, in_window=False)
    Meeting.objects.filter(pk=late.pk).update(
        starts_at=timezone.now() - timedelta(days=3), ends_at=timezone.now() - timedelta(days=3, hours=-2)
    )
    assert "Annulez cette réunion" in _open(client, late).content.decode()
    # On its day: every convened member must be marked; none is pre-chosen.
    today = make_meeting(world.a)
    make_item(world.a, today)  # a guest is invited: they are not on the roll
    page = client.get(reverse("meetings:detail", kwargs={"pk": today.pk})).content.decode()
    assert "checked" not in page[page.index('id="open-title"') : page.index("ouvrir la séance</button>")]
    roll = services.attendance_roll(today)
    assert {a.membership.role for a in roll} == {"president", "coordinator", "member", "state_member"}
    partial = {OpenForm.field_name(roll[0]): "present"}
    refused = client.post(reverse("meetings:open", kwargs={"pk": today.pk}), partial)
    assert refused.status_code == 400
    today.refresh_from_db()
    assert today.opened_at is None
    ok = _open(client, today, member="excused", state_member="absent")
    assert ok.redirect_chain[-1][0] == reverse("meetings:session", kwargs={"pk": today.pk})
    today.refresh_from_db()
    marks = dict(today.attendees.values_list("membership__role", "attendance"))
    assert marks == {
        "president": "present",
        "coordinator": "present",
        "member": "excused",
        "state_member": "absent",
        "guest": "",
    }
    event = AuditEvent.objects.get(action="meeting.opened")
    assert event.data == {"present": 2, "excused": 1, "absent": 1}
    # The annual report's attendance rate reads it: 2 present of 4 recorded.
    year = timezone.localtime(today.starts_at).year  # it began an hour ago: last year, on New Year's night
    whole_year = period_for(year, today=date(year + 1, 1, 2))  # the running year stops at last month
    activity = collect([world.a.cell.pk], whole_year)[world.a.cell.pk].activity
    assert (activity.attendance_present, activity.attendance_recorded) == (2, 4)


def test_a_decision_is_corrected_until_validation_and_applied_only_then(world):
    meeting = make_meeting(world.a, opened=True)
    item = make_item(world.a, meeting, guest=False)
    assert _decide(world, item, kind="watch").status_code == 302
    corrected = _decide(world, item, kind="close", close_reason="no_further_elements")
    assert corrected.status_code == 302
    decision = Decision.objects.get(item=item)
    assert (decision.kind, decision.close_reason) == ("close", "no_further_elements")
    assert (
        AuditEvent.objects.filter(action="meeting.decision_changed", target_id=str(decision.pk)).count() == 1
    )
    item.case.refresh_from_db()
    assert item.case.state == State.TO_REVIEW and not Transition.objects.filter(case=item.case).exists()
    session = persona_client(world, "coordinator").get(reverse("meetings:session", kwargs={"pk": meeting.pk}))
    assert "Corriger la décision" in session.content.decode()
    _validate(world, meeting)
    item.case.refresh_from_db()
    assert (item.case.state, item.case.close_reason) == (State.CLOSED, "no_further_elements")
    moves = Transition.objects.filter(case=item.case)
    assert list(moves.values_list("to_state", flat=True)) == [State.REVIEWED, State.CLOSED]
    assert {t.by_id for t in moves} == {world.a.members["president"].pk}
    assert "clôture" in moves.last().note and "close" not in moves.last().note
    # After validation: refused with a clear message, nothing changed.
    decisions = AuditEvent.objects.filter(action__startswith="meeting.decision")
    before = decisions.count()
    late = _decide(world, item, kind="watch")
    assert late.status_code == 400 and "relevé de décisions est validé" in late.content.decode()
    assert Decision.objects.get(item=item).kind == "close" and decisions.count() == before
    session = persona_client(world, "coordinator").get(reverse("meetings:session", kwargs={"pk": meeting.pk}))
    assert "Corriger la décision" not in session.content.decode()


def test_validation_applies_every_decision_or_none(world):
    meeting = make_meeting(world.a, opened=True)
    first = make_item(world.a, meeting, guest=False)
    second = make_item(world.a, meeting, guest=False)
    _decide(world, first, kind="watch")
    _decide(world, second, kind="transmit_to_state")
    # The second situation moved elsewhere meanwhile: validation refuses and names it.
    Case.objects.filter(pk=second.case_id).update(state=State.CLOSED)
    response = persona_client(world, "president").post(
        reverse("meetings:validate", kwargs={"pk": meeting.pk}), follow=True
    )
    assert second.case.reference in response.content.decode()
    assert "plus dans l&#x27;état prévu" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.minutes_validated_at is None
    assert Case.objects.get(pk=first.case_id).state == State.TO_REVIEW
    assert (
        not Transition.objects.exists() and not AuditEvent.objects.filter(action="case.transition").exists()
    )


def test_a_guest_is_notified_finds_the_meeting_and_is_uninvited_before_it_only(world):
    meeting = make_meeting(world.a, in_window=False)
    item = make_item(world.a, meeting, guest=False)
    guest = world.a.members["guest"]
    coordinator = persona_client(world, "coordinator")
    invite = reverse("meetings:item_guest", kwargs={"pk": item.pk})
    assert coordinator.post(invite, {"guest": public_id("membership", guest.pk)}).status_code == 302
    note = Notification.objects.get(kind=MEETING_GUEST_INVITED)
    page_url = reverse("meetings:detail", args=[meeting.pk])
    assert (note.recipient_id, note.link) == (guest.user_id, page_url)
    # From the dashboard, not a typed URL: « Mes réunions » links to it.
    client = persona_client(world, "guest")
    dashboard = client.get(reverse("core:dashboard")).content.decode()
    assert "Mes réunions" in dashboard and f'href="{page_url}"' in dashboard
    # Before the meeting: its date and place only, no attendee's name, no item.
    page = client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk})).content.decode()
    president = world.a.user("president")
    assert meeting.place in page and item.case.reference not in page
    assert president.get_full_name() not in page and "Participants" not in page
    convocation = client.get(reverse("meetings:convocation_pdf", kwargs={"pk": meeting.pk}))
    assert convocation.status_code == 200
    # Withdrawn before the meeting: told so, and the meeting is gone from their view.
    uninvite = reverse("meetings:item_uninvite", kwargs={"pk": item.pk})
    assert coordinator.post(uninvite, {"guest": public_id("membership", guest.pk)}).status_code == 302
    assert not item.guests.exists() and not meeting.attendees.filter(membership=guest).exists()
    assert Notification.objects.filter(kind=MEETING_GUEST_WITHDRAWN, recipient=guest.user).exists()
    assert client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk})).status_code == 404
    assert f'href="{page_url}"' not in client.get(reverse("core:dashboard")).content.decode()
    # Invited again; once the meeting has begun the invitation can no longer be withdrawn.
    coordinator.post(invite, {"guest": public_id("membership", guest.pk)})
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )
    before = AuditEvent.objects.filter(action="meeting.guest_uninvited").count()
    refused = coordinator.post(uninvite, {"guest": public_id("membership", guest.pk)}, follow=True)
    assert "La réunion a commencé" in refused.content.decode()
    assert list(item.guests.all()) == [guest]
    assert AuditEvent.objects.filter(action="meeting.guest_uninvited").count() == before
    # During the window the guest sees their item.
    assert (
        item.case.reference
        in client.get(reverse("meetings:detail", kwargs={"pk": meeting.pk})).content.decode()
    )


def test_a_meeting_lasts_one_day_at_most(world):
    client = persona_client(world, "coordinator")
    response = client.post(
        reverse("meetings:create"),
        {"starts_at": "2027-01-12T14:00", "ends_at": "2027-01-13T10:00", "place": "Salle B"},
    )
    assert response.status_code == 400 and "une seule journée" in response.content.decode()
    assert not Meeting.objects.exists()
    start = timezone.now() + timedelta(days=3)
    with pytest.raises(services.MeetingError):
        services.meeting_schedule(
            cell=world.a.cell,
            starts_at=start,
            ends_at=start + timedelta(days=1),
            place="Salle B",
            by=world.a.members["coordinator"],
        )


def test_cancelling_asks_for_confirmation_and_past_or_validated_meetings_leave_upcoming(world):
    meeting = make_meeting(world.a, in_window=False)
    client = persona_client(world, "coordinator")
    url = reverse("meetings:cancel", kwargs={"pk": meeting.pk})
    page = client.get(url)
    assert page.status_code == 200 and "Confirmer l'annulation" in page.content.decode()
    meeting.refresh_from_db()
    assert meeting.cancelled_at is None
    assert persona_client(world, "member").get(url).status_code == 403
    assert client.post(url).status_code == 302
    meeting.refresh_from_db()
    assert meeting.cancelled_at is not None
    notified = set(Notification.objects.filter(kind=MEETING_CANCELLED).values_list("recipient_id", flat=True))
    convened = set(meeting.attendees.values_list("membership__user_id", flat=True))
    assert notified == convened and len(convened) == 4
    # An opened meeting is not cancelled.
    held = make_meeting(world.a, opened=True)
    with pytest.raises(services.MeetingError):
        services.meeting_cancel(meeting=held, by=world.a.members["coordinator"])
    validated = make_meeting(world.a, in_window=False, opened=True, validated=True)
    coming = make_meeting(world.a, in_window=False)
    listing = client.get(reverse("meetings:list")).content.decode()
    upcoming = listing[listing.index("Réunions à venir") : listing.index("Réunions passées")]
    assert reverse("meetings:detail", args=[coming.pk]) in upcoming
    for gone in (meeting, validated):
        gone_url = reverse("meetings:detail", args=[gone.pk])
        assert gone_url not in upcoming and gone_url in listing
