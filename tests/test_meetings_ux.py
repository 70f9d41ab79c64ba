"""Meetings as their readers see them: links to the situations one may read, the next meeting of a
situation, the convocation's count, the guest invitation, references kept whole, the status badge."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cmer.accounts.models import CharterAcceptance, Membership
from cmer.cases.models import Case
from cmer.cases.states import State
from cmer.core.french import format_datetime
from cmer.meetings.models import AgendaItem, Meeting
from tests.factories import make_case
from tests.factories_meetings import make_action, make_item, make_meeting
from tests.personas import persona_client
from tests.test_exports import readable

pytestmark = pytest.mark.django_db

SCOPED = ("member", "state_member")


def _get(world, persona: str, name: str, pk: int) -> str:
    response = persona_client(world, persona).get(reverse(name, kwargs={"pk": pk}))
    assert response.status_code == 200
    return response.content.decode()


def _case_url(case_id: int) -> str:
    return reverse("cases:detail", kwargs={"pk": case_id})


# --- the reference links to the situation whenever the reader may read it -------------------------


@pytest.mark.parametrize("persona", SCOPED)
def test_a_member_convened_opens_the_situations_of_the_agenda(world, persona):
    meeting = make_meeting(world.a, opened=True)
    item = make_item(world.a, meeting, guest=False)
    url = _case_url(item.case_id)
    assert f'href="{url}#reunions">{item.case.reference}</a>' in _get(
        world, persona, "meetings:detail", meeting.pk
    )
    assert f'href="{url}"' in _get(world, persona, "meetings:session", meeting.pk)
    assert f'href="{url}#reunions">' in _get(world, persona, "meetings:minutes", meeting.pk)
    # The link leads somewhere: the situation's page answers them.
    assert persona_client(world, persona).get(url).status_code == 200


def test_no_link_to_a_situation_the_reader_may_no_longer_read(world):
    """Once the relevé is validated the member's scope ends (docs/rules.md §5): the reference stays
    in the relevé, as plain text, and the situation's page is closed to them."""
    meeting = make_meeting(world.a, opened=True, validated=True)
    item = make_item(world.a, meeting, guest=False)
    url = _case_url(item.case_id)
    minutes = _get(world, "member", "meetings:minutes", meeting.pk)
    assert item.case.reference in minutes and url not in minutes
    assert persona_client(world, "member").get(url).status_code == 404
    # The coordinator still reads it, and has the link.
    assert f'href="{url}#reunions"' in _get(world, "coordinator", "meetings:minutes", meeting.pk)


def test_no_link_to_an_archived_situation_for_a_member(world):
    """An archived case asks a written reason that only P/C may give: a member would meet a refusal."""
    meeting = make_meeting(world.a)
    item = make_item(world.a, meeting, guest=False)
    Case.objects.filter(pk=item.case_id).update(state=State.ARCHIVED)
    url = _case_url(item.case_id)
    page = _get(world, "member", "meetings:detail", meeting.pk)
    assert item.case.reference in page and url not in page
    assert persona_client(world, "member").get(url).status_code == 403
    # The coordinator is sent to the page that asks for the reason.
    assert f'href="{url}#reunions"' in _get(world, "coordinator", "meetings:detail", meeting.pk)


def test_the_links_cost_one_query_whatever_the_agenda_size(world):
    client = persona_client(world, "member")
    counts = []
    for n in (2, 30):
        meeting = make_meeting(world.a, opened=True)
        items = [make_item(world.a, meeting, guest=False) for _ in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("meetings:session", kwargs={"pk": meeting.pk})).content.decode()
        counts.append(len(ctx.captured_queries))
        assert all(_case_url(i.case_id) in page for i in items)
    assert counts[0] == counts[1], counts


def test_the_action_page_links_its_situation_for_the_service_member(world):
    action = make_action(world.a, "svc-member")
    url = _case_url(action.case_id)
    page = _get(world, "member", "support:action", action.pk)
    assert f'<a href="{url}">{action.case.reference}</a>' in page
    assert persona_client(world, "member").get(url).status_code == 200


# --- the situation's next meeting is one still to hold -------------------------------------------


def _section(world, case_id: int) -> str:
    """The situation page as the coordinator reads it, blanks between tags squeezed."""
    return re.sub(r">\s+<", "><", _get(world, "coordinator", "cases:detail", case_id))


def _on(meeting: Meeting, case: Case) -> None:
    AgendaItem.objects.create(meeting=meeting, case=case, kind="review", order=1)


def _starting_in(meeting: Meeting, delta: timedelta) -> Meeting:
    """The meeting moved to start `delta` from now (two hours long, as the demo's)."""
    start = timezone.now() + delta
    Meeting.objects.filter(pk=meeting.pk).update(starts_at=start, ends_at=start + timedelta(hours=2))
    meeting.refresh_from_db()
    return meeting


@pytest.mark.parametrize("stage", ["opened", "validated"])
def test_the_next_meeting_is_never_one_already_opened_or_validated(world, stage):
    """A séance opened at 16 h 17 for 16 h 30 starts later than now, yet it is not to come."""
    case = make_case(world.a, State.TO_REVIEW)
    early = _starting_in(
        make_meeting(world.a, opened=True, validated=stage == "validated"), timedelta(minutes=13)
    )
    _on(early, case)
    later = _starting_in(make_meeting(world.a), timedelta(days=7))
    _on(later, case)
    html = _section(world, case.pk)
    assert f"Prochaine réunion</dt><dd>{format_datetime(later.starts_at)}, " in html
    assert format_datetime(early.starts_at) not in html.split("Prochaine réunion</dt>")[1][:200]
    # The table lists the later meeting: the page does not also say there is none to come.
    assert "Aucune réunion à venir" not in html


def test_no_meeting_to_come_is_said_only_when_there_is_none(world):
    case = make_case(world.a, State.TO_REVIEW)
    held = _starting_in(make_meeting(world.a, opened=True, validated=True), timedelta(minutes=13))
    _on(held, case)
    html = _section(world, case.pk)
    assert "Prochaine réunion" not in html and "Aucune réunion à venir : planifier une réunion" in html


def test_a_cancelled_meeting_is_not_offered_to_put_the_situation_on(world):
    case = make_case(world.a, State.TO_REVIEW)
    cancelled = _starting_in(make_meeting(world.a), timedelta(days=3))
    Meeting.objects.filter(pk=cancelled.pk).update(cancelled_at=timezone.now())
    kept = _starting_in(make_meeting(world.a), timedelta(days=5))
    html = _section(world, case.pk)
    assert reverse("meetings:item_add", kwargs={"pk": kept.pk}) in html
    assert reverse("meetings:item_add", kwargs={"pk": cancelled.pk}) not in html


# --- the convocation counts the convened, not the guest invited to one item ----------------------


def test_the_convocation_counts_the_convened_and_not_the_guest(world):
    meeting = make_meeting(world.a)  # president, coordinator, member and State member convened
    make_item(world.a, meeting, guest=True)  # the guest attends for this item
    assert meeting.attendees.count() == 5
    pdf = persona_client(world, "coordinator").get(
        reverse("meetings:convocation_pdf", kwargs={"pk": meeting.pk})
    )
    text = " ".join(readable(pdf).split())
    assert "Participants convoqués 4 " in text


# --- an empty guest list says why -----------------------------------------------------------------


def _agenda(world, meeting: Meeting) -> str:
    return _get(world, "coordinator", "meetings:detail", meeting.pk)


def _alert(page: str) -> str:
    start = page.index('id="guests-unavailable"')
    return html.unescape(page[start : page.index("</div>", start)])


def test_the_guest_list_says_the_guest_has_not_accepted_the_charter(world):
    item = make_item(world.a, guest=False)
    guest = world.a.members["guest"]
    CharterAcceptance.objects.filter(membership=guest).delete()
    page = _agenda(world, item.meeting)
    alert = _alert(page)
    assert "Aucun intervenant ponctuel ne peut être invité à un point" in alert
    assert "n'a pas encore accepté la charte de confidentialité en vigueur" in alert
    assert guest.user.get_full_name() in alert
    # No empty list to choose from, no « Inviter » that can only be refused.
    assert reverse("meetings:item_guest", kwargs={"pk": item.pk}) not in page


def test_the_guest_list_says_the_cell_has_no_guest(world):
    item = make_item(world.a, guest=False)
    Membership.objects.filter(pk=world.a.members["guest"].pk).update(end_date=timezone.localdate())
    page = _agenda(world, item.meeting)
    alert = _alert(page)
    assert "la cellule n'en compte aucun" in alert
    assert f'href="{reverse("accounts:members")}"' in alert
    assert reverse("meetings:item_guest", kwargs={"pk": item.pk}) not in page


def test_a_guest_who_accepted_the_charter_is_offered_without_a_notice(world):
    item = make_item(world.a, guest=False)
    page = _agenda(world, item.meeting)
    assert 'id="guests-unavailable"' not in page
    assert reverse("meetings:item_guest", kwargs={"pk": item.pk}) in page
    assert f"{world.a.members['guest'].user.get_full_name()} (svc-guest)</option>" in page


# --- a reference is kept whole on a narrow screen (cmer-ref: no break at its hyphens) -------------


def _refs_kept_whole(page: str, reference: str) -> int:
    """How many times `reference` is shown inside an element of class cmer-ref (link or not)."""
    pattern = r'class="cmer-ref">(?:<a [^>]*>)?' + re.escape(reference) + "<"
    return len(re.findall(pattern, page))


@pytest.mark.parametrize("persona", ["coordinator", "member"])
def test_references_of_the_meeting_pages_are_kept_whole(world, persona):
    meeting = make_meeting(world.a, opened=True)
    ref = make_item(world.a, meeting, guest=False).case.reference
    assert _refs_kept_whole(_get(world, persona, "meetings:detail", meeting.pk), ref) == 1
    assert _refs_kept_whole(_get(world, persona, "meetings:minutes", meeting.pk), ref) == 1
    # The session: the item's heading and the link to the situation.
    assert _refs_kept_whole(_get(world, persona, "meetings:session", meeting.pk), ref) == 2


# --- the relevé names its columns as the screen does ----------------------------------------------


def test_the_releve_pdf_heads_the_item_kind_column_as_the_screen_does(world):
    meeting = make_meeting(world.a, opened=True)
    make_item(world.a, meeting, guest=False)
    screen = _get(world, "coordinator", "meetings:minutes", meeting.pk)
    assert '<th scope="col">Nature</th>' in screen and '<th scope="col">Situation</th>' in screen
    pdf = persona_client(world, "coordinator").get(reverse("meetings:minutes_pdf", kwargs={"pk": meeting.pk}))
    text = readable(pdf)
    assert "Nature" in text.split() and "Examen" not in text
    assert "Situation" in text.split() and "Référence" not in text


# --- a séance just opened is « en cours », not « tenue » ------------------------------------------


def _badge(page: str) -> str:
    start = page.index('class="fr-badge ')
    return page[start : page.index("</span>", start)].split(">")[-1]


def test_a_seance_opened_before_its_hour_is_under_way_then_held_after_its_end(world):
    # Its hour come but the séance not opened: still only convened.
    waiting = make_meeting(world.a)
    assert _badge(_get(world, "coordinator", "meetings:detail", waiting.pk)) == "convoquée"
    meeting = _starting_in(make_meeting(world.a, opened=True), timedelta(minutes=13))
    make_item(world.a, meeting, guest=False)
    for name in ("meetings:detail", "meetings:session", "meetings:minutes"):
        assert _badge(_get(world, "coordinator", name, meeting.pk)) == "en cours", name
    listing = persona_client(world, "coordinator").get(reverse("meetings:list")).content.decode()
    assert "en cours</span>" in listing and "tenue, relevé à valider" not in listing
    # Past its end and not validated: held, its relevé awaits the president.
    _starting_in(meeting, -timedelta(hours=3))
    assert _badge(_get(world, "coordinator", "meetings:detail", meeting.pk)) == "tenue, relevé à valider"
    # Validated: so it says, whatever the hour.
    Meeting.objects.filter(pk=meeting.pk).update(minutes_validated_at=timezone.now())
    _starting_in(meeting, -timedelta(minutes=30))
    assert _badge(_get(world, "coordinator", "meetings:detail", meeting.pk)) == "relevé validé"
    meeting.refresh_from_db()
    assert not meeting.is_under_way
    Meeting.objects.filter(pk=meeting.pk).update(minutes_validated_at=None, cancelled_at=timezone.now())
    meeting.refresh_from_db()
    assert not meeting.is_under_way
