"""Case pages: need-to-know per role, one read audit per page, closure, archive, search, queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.cases.models import ArchiveAccess, Case
from cmer.cases.states import CloseReason, State
from cmer.referrals.models import Referral
from tests.factories import make_case, make_person, make_referral
from tests.factories_meetings import make_item, make_meeting, make_plan
from tests.personas import ROLES, persona_client

CANARY = "Zorbalinette"


def _detail(case: Case) -> str:
    return reverse("cases:detail", kwargs={"pk": case.pk})


def _reads(case: Case) -> int:
    return AuditEvent.objects.filter(action="case.read", target_id=str(case.pk)).count()


# --- need-to-know, docs/rules.md §2 --------------------------------------------------------


def test_every_role_reads_exactly_what_the_rules_give_it(world):
    plain = make_case(world.a, person=make_person(world.a.cell, last_name=CANARY))
    on_agenda = make_item(world.a, guest=False).case  # member and state member convened
    guest_item = make_item(world.a, make_meeting(world.a, roles=("president", "coordinator"))).case
    member_action = make_plan(world.a, services=("svc-member",)).case
    expected = {
        "president": {plain, on_agenda, guest_item, member_action},
        "coordinator": {plain, on_agenda, guest_item, member_action},
        "member": {on_agenda, member_action},
        "state_member": {on_agenda},
        "guest": {guest_item},
        "reporter": set(),
        "trainer": set(),
        "dpo": set(),
    }
    for role in ROLES:
        membership = world.a.members[role]
        assert set(Case.objects.visible_to(membership)) == expected[role], role
        client = persona_client(world, role)
        for case in (plain, on_agenda, guest_item, member_action):
            status = client.get(_detail(case)).status_code
            assert status == (200 if case in expected[role] else 404), (role, case.reference, status)
    for persona in ("staff", "outsider"):
        assert persona_client(world, persona).get(_detail(plain)).status_code in {302, 403, 404}


def test_scope_ends_with_validated_minutes_and_guest_window(world):
    validated = make_item(world.a, make_meeting(world.a, validated=True)).case
    future = make_item(world.a, make_meeting(world.a, in_window=False)).case
    member = world.a.members["member"]
    guest = world.a.members["guest"]
    assert validated not in Case.objects.visible_to(member)
    assert future in Case.objects.visible_to(member)  # convened, minutes not yet validated
    assert future not in Case.objects.visible_to(guest)  # outside the meeting window


def test_referrals_visible_to_managers_and_own_submitters_only(world):
    by_reporter = make_referral(world.a, by=world.a.members["reporter"])
    by_member = make_referral(world.a, by=world.a.members["member"])
    make_referral(world.b)
    visible = {role: set(Referral.objects.visible_to(world.a.members[role])) for role in ROLES}
    assert visible["president"] == visible["coordinator"] == {by_reporter, by_member}
    assert visible["reporter"] == {by_reporter}
    assert visible["member"] == {by_member}
    for role in ("state_member", "guest", "trainer", "dpo"):
        assert visible[role] == set()


def test_list_and_queue_are_for_managers_and_show_no_names(world):
    case = make_case(world.a, person=make_person(world.a.cell, last_name=CANARY))
    client = persona_client(world, "coordinator")
    for name in ("cases:list", "cases:queue"):
        html = client.get(reverse(name)).content.decode()
        assert case.reference in html
        assert CANARY not in html
    assert persona_client(world, "member").get(reverse("cases:list")).status_code == 403


def test_list_filters_by_state(world):
    received = make_case(world.a)
    support = make_case(world.a, State.SUPPORT)
    html = (
        persona_client(world, "president").get(reverse("cases:list"), {"state": "support"}).content.decode()
    )
    assert support.reference in html and received.reference not in html
    bad = persona_client(world, "president").get(reverse("cases:list"), {"state": "<script>"})
    assert bad.status_code == 200  # an unknown filter value is ignored, never a 500


def test_queue_flags_overdue_prequalification(world):
    late = make_case(world.a, prequalification_due=timezone.localdate() - timedelta(days=1))
    make_case(world.a)
    html = persona_client(world, "coordinator").get(reverse("cases:queue")).content.decode()
    assert late.reference in html
    assert html.count("en retard") == 1


# --- one read audit event per page showing personal data ------------------------------------


def test_detail_shows_identity_facts_history_and_writes_one_read_event(world):
    case = make_case(world.a, person=make_person(world.a.cell, last_name=CANARY))
    referral = make_referral(world.a, case=case, observations=2)
    client = persona_client(world, "coordinator")
    html = client.get(_detail(case)).content.decode()
    assert CANARY in html
    indicator = referral.observations.first().indicator
    assert indicator.label.replace("'", "&#x27;") in html
    assert "catalogue version 1" in html
    assert _reads(case) == 1
    client.get(_detail(case))
    assert _reads(case) == 2
    event = AuditEvent.objects.filter(action="case.read").last()
    assert event.actor_id == world.a.user("coordinator").pk and event.cell_id == world.a.cell.pk
    assert CANARY not in str(event.data)


def test_qualify_page_writes_one_read_event(world):
    case = make_case(world.a)
    persona_client(world, "coordinator").get(reverse("cases:qualify", kwargs={"pk": case.pk}))
    assert _reads(case) == 1


# --- qualification ---------------------------------------------------------------------------


def test_coordinator_qualifies_a_received_case_to_review(world):
    case = make_case(world.a)
    client = persona_client(world, "coordinator")
    url = reverse("cases:qualify", kwargs={"pk": case.pk})
    response = client.post(url, {"decision": "to_review", "note": "Plusieurs faits concordants."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.TO_REVIEW
    assert list(case.transitions.values_list("to_state", flat=True)) == ["prequalification", "to_review"]


def test_qualifying_an_already_qualified_case_gets_a_clear_message(world):
    case = make_case(world.a, State.SUPPORT)
    client = persona_client(world, "coordinator")
    url = reverse("cases:qualify", kwargs={"pk": case.pk})
    response = client.post(url, {"decision": "dismissed", "note": "x"}, follow=True)
    assert "Transition impossible" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUPPORT


def test_qualify_refuses_an_exit_outside_the_closed_list(world):
    case = make_case(world.a, State.PREQUALIFICATION)
    client = persona_client(world, "coordinator")
    url = reverse("cases:qualify", kwargs={"pk": case.pk})
    response = client.post(url, {"decision": "support", "note": "x"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.PREQUALIFICATION


# --- closure and archive ---------------------------------------------------------------------


def test_close_with_reason_then_archive_then_read_only_with_a_written_reason(world):
    case = make_case(world.a, State.SUPPORT, person=make_person(world.a.cell, last_name=CANARY))
    client = persona_client(world, "president")
    # No reason is pre-selected on the situation page.
    form = client.get(_detail(case)).content.decode()
    assert 'value="" selected' in form or '<option value="" selected>' in form
    close = reverse("cases:close", kwargs={"pk": case.pk})
    # First step: a confirmation page naming the reason; nothing changes yet.
    confirm = client.post(close, {"reason": "end_of_support"})
    assert confirm.status_code == 200 and "Confirmer la clôture" in confirm.content.decode()
    assert "fin de l&#x27;accompagnement" in confirm.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUPPORT and not AuditEvent.objects.filter(action="case.close").exists()
    client.post(close, {"reason": "end_of_support", "confirmed": "True"})
    case.refresh_from_db()
    assert (case.state, case.close_reason) == (State.CLOSED, "end_of_support")
    archive = reverse("cases:archive", kwargs={"pk": case.pk})
    confirm = client.post(archive)
    assert confirm.status_code == 200 and "Confirmer l'archivage" in confirm.content.decode()
    case.refresh_from_db()
    assert case.state == State.CLOSED
    client.post(archive, {"confirmed": "True"})
    case.refresh_from_db()
    assert case.state == State.ARCHIVED
    reads = _reads(case)
    html = client.get(_detail(case)).content.decode()
    assert CANARY not in html and "motif de votre consultation" in html
    assert _reads(case) == reads
    bad = client.post(reverse("cases:archive_access", kwargs={"pk": case.pk}), {"reason": "court"})
    assert bad.status_code == 400 and not ArchiveAccess.objects.exists()
    client.post(
        reverse("cases:archive_access", kwargs={"pk": case.pk}), {"reason": "Demande de droit d'accès."}
    )
    access = ArchiveAccess.objects.get()
    assert access.by == world.a.members["president"]
    event = AuditEvent.objects.get(action="case.archive_access")
    assert event.data == {"access": access.pk}
    assert CANARY in client.get(_detail(case)).content.decode()
    # The reason opened the archive for its author only.
    assert CANARY not in persona_client(world, "coordinator").get(_detail(case)).content.decode()


def _case_routes(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[tuple[str, str]]:
    """(URL name, keyword) of every URL pattern that names a case, found by its `case` converter."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _case_routes(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern):
            for keyword, converter in entry.pattern.converters.items():
                if getattr(converter, "kind", "") == "case":
                    yield f"{namespace}{entry.name}", keyword


def test_no_page_of_an_archived_case_shows_it_before_the_written_reason(world):
    """Not only the situation page: every page naming a case (plan, qualification, transmission,
    rectification, erasure, letters...) sends to the written reason first (docs/rules.md §3)."""
    case = make_case(world.a, State.ARCHIVED, person=make_person(world.a.cell, last_name=CANARY))
    fact = make_referral(world.a, case=case).observations.get().fact
    routes = sorted(set(_case_routes()))
    assert len(routes) >= 15  # the walk reached the cases, support, exchange and privacy patterns
    detail = _detail(case)
    for role in ("president", "coordinator"):
        client = persona_client(world, role)
        for name, keyword in routes:
            response = client.get(reverse(name, kwargs={keyword: case.pk}))
            body = response.content.decode(errors="replace")
            assert CANARY not in body and fact not in body, (role, name)
            if name == "cases:detail":
                assert response.status_code == 200 and "motif de votre consultation" in body
            elif role == "coordinator" and response.status_code != 405:  # 405: the POST-only actions
                # The coordinator holds every capability on a case: the reason is all that is missing.
                assert (response.status_code, response.get("Location")) == (302, detail), name
    client = persona_client(world, "coordinator")
    client.post(
        reverse("cases:archive_access", kwargs={"pk": case.pk}), {"reason": "Demande de rectification."}
    )
    for name in ("cases:detail", "privacy:rectify"):
        assert CANARY in client.get(reverse(name, kwargs={"pk": case.pk})).content.decode(), name


def test_an_action_of_an_archived_case_waits_for_the_reason_too(world):
    """An action page names its situation and its plan: archived, it is the situation's content."""
    action = make_plan(world.a).actions.get()
    Case.objects.filter(pk=action.case_id).update(state=State.ARCHIVED)
    url = reverse("support:action", kwargs={"pk": action.pk})
    detail = reverse("cases:detail", kwargs={"pk": action.case_id})
    coordinator = persona_client(world, "coordinator")
    response = coordinator.get(url)
    assert (response.status_code, response["Location"]) == (302, detail)
    # The referent cannot read archives at all: the situation page refuses them.
    referent = persona_client(world, "member")
    response = referent.get(url, follow=True)
    assert response.redirect_chain == [(detail, 302)] and response.status_code == 403
    assert action.title not in response.content.decode()
    coordinator.post(
        reverse("cases:archive_access", kwargs={"pk": action.case_id}), {"reason": "Bilan demandé."}
    )
    assert action.title in coordinator.get(url).content.decode()


def test_close_with_unknown_reason_keeps_the_case_open(world):
    case = make_case(world.a, State.SUPPORT)
    client = persona_client(world, "coordinator")
    response = client.post(reverse("cases:close", kwargs={"pk": case.pk}), {"reason": "bof"}, follow=True)
    assert "Choisissez un motif de clôture" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.SUPPORT


def test_close_refused_where_the_machine_does_not_allow_it(world):
    case = make_case(world.a, State.RECEIVED)
    response = persona_client(world, "coordinator").post(
        reverse("cases:close", kwargs={"pk": case.pk}), {"reason": "other"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == State.RECEIVED


# --- exact search ----------------------------------------------------------------------------


def test_search_by_exact_name_and_birth_date_within_the_cell(world):
    mine = make_case(
        world.a, person=make_person(world.a.cell, last_name="Bérénice", birth_date=date(2007, 2, 3))
    )
    other = make_case(
        world.b, person=make_person(world.b.cell, last_name="Bérénice", birth_date=date(2007, 2, 3))
    )
    client = persona_client(world, "coordinator")
    url = reverse("cases:search")
    data = {"last_name": "BERENICE", "first_name": "alex", "birth_date": "2007-02-03"}
    response = client.post(url, data)
    html = response.content.decode()
    assert mine.reference in html and other.reference not in html
    assert "Bérénice" not in url
    event = AuditEvent.objects.get(action="person.search")
    assert event.data == {"matches": 1}
    miss = client.post(url, {**data, "birth_date": "2007-02-04"}).content.decode()
    assert mine.reference not in miss


# --- query counts ----------------------------------------------------------------------------


def _count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url_name", ["cases:list", "cases:queue", "core:dashboard"])
def test_query_counts_do_not_grow_with_the_number_of_cases(world, url_name, django_assert_num_queries):
    client = persona_client(world, "coordinator")
    url = reverse(url_name)
    for _ in range(10):
        make_case(world.a)
    small = _count_queries(client, url)
    for _ in range(190):
        make_case(world.a)
    with django_assert_num_queries(small):
        client.get(url)


def test_reporter_dashboard_query_count_is_pinned(world, django_assert_num_queries):
    client = persona_client(world, "reporter")
    for _ in range(10):
        make_referral(world.a)
    small = _count_queries(client, reverse("core:dashboard"))
    for _ in range(40):
        make_referral(world.a)
    with django_assert_num_queries(small):
        client.get(reverse("core:dashboard"))
    html = client.get(reverse("core:dashboard")).content.decode()
    assert "Reçus : 50" in html


# --- demo data -------------------------------------------------------------------------------


def test_demo_seed_fills_every_state_in_both_cells_and_reruns_cleanly(db):
    from faker import Faker

    from cmer.accounts import demo as accounts_demo
    from cmer.referrals import demo as cases_demo

    faker = Faker("fr_FR")
    faker.seed_instance(7)
    accounts_demo.seed(faker)
    cases_demo.seed(faker)
    for code in ("MIR", "IST"):
        states = set(Case.objects.filter(cell__code=code).values_list("state", flat=True))
        assert states == set(State.values), code
        assert Referral.objects.filter(cell__code=code, urgent=True).exists()
    total = Case.objects.count()
    cases_demo.seed(faker)
    assert Case.objects.count() == total
    assert Case.objects.filter(prequalification_due__lt=timezone.localdate(), state="received").exists()


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("x" * 5000, "au plus 300 caractères"),
        ("Motif\x00nul", "Le caractère nul"),
        ("", "Ce champ est obligatoire"),
    ],
)
def test_qualify_bad_note_gets_a_message_and_changes_nothing(world, note, message):
    case = make_case(world.a, State.RECEIVED)
    url = reverse("cases:qualify", kwargs={"pk": case.pk})
    response = persona_client(world, "coordinator").post(url, {"decision": "to_review", "note": note})
    assert response.status_code == 400
    assert message in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.RECEIVED
    assert not case.transitions.exists()


def test_note_with_markup_is_escaped_in_the_history(world):
    case = make_case(world.a, State.PREQUALIFICATION)
    client = persona_client(world, "coordinator")
    url = reverse("cases:qualify", kwargs={"pk": case.pk})
    client.post(url, {"decision": "to_review", "note": "<script>alert(2)</script>"})
    html = client.get(_detail(case)).content.decode()
    assert "<script>alert(2)</script>" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_case_page_links_to_preparing_a_transmission_while_the_case_is_open(world):
    case = make_case(world.a, state=State.REVIEWED)
    url = reverse("exchange:transmission_create", kwargs={"case_pk": case.pk})
    coordinator = persona_client(world, "coordinator").get(reverse("cases:detail", kwargs={"pk": case.pk}))
    assert url in coordinator.content.decode()
    closed = make_case(world.a, state=State.CLOSED)
    closed_url = reverse("exchange:transmission_create", kwargs={"case_pk": closed.pk})
    page = persona_client(world, "coordinator").get(reverse("cases:detail", kwargs={"pk": closed.pk}))
    assert page.status_code == 200 and closed_url not in page.content.decode()


def test_history_reads_old_entries_stored_with_codes_in_plain_french(world):
    """Notes written before the labels existed are shown through them, not as stored."""
    from cmer.cases.models import Transition

    case = make_case(world.a, State.REVIEWED)
    by = world.a.members["coordinator"]
    for note in ("Réunion n° 68, décision : propose_support", "Faits : #68, #67", "Motif : end_of_support"):
        Transition.objects.create(
            case=case, from_state=State.REVIEWED, to_state=State.REVIEWED, by=by, note=note
        )
    html = persona_client(world, "coordinator").get(_detail(case)).content.decode()
    history = html[html.index("Historique de la situation") :]
    for code in ("propose_support", "end_of_support", "#68", "#67", "n° 68"):
        assert code not in history
    assert "Décision de réunion : proposition d&#x27;accompagnement" in history
    assert "Faits : 2 faits observés" in history
    assert "Motif : " + str(CloseReason("end_of_support").label).replace("'", "&#x27;") in history
