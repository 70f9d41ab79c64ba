"""Exchange with the State: two-person rule, feedback, overdue reminders, the préfet compartment."""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.core.public_ids import public_id
from cmer.exchange.models import (
    PrefectInformation,
    PrefectSituation,
    StateFeedback,
    ThreatBriefing,
    Transmission,
    TransmissionStatus,
)
from cmer.exchange.notifications import FEEDBACK_OVERDUE, TRANSMISSION_TO_APPROVE
from cmer.notifications.models import Notification
from tests.factories import make_person
from tests.factories_exchange import (
    age_transmission,
    make_case_with_facts,
    make_prefect_info,
    make_transmission,
)
from tests.personas import persona_client


def text(response) -> str:
    return html.unescape(response.content.decode())


pytestmark = pytest.mark.django_db


def _prepare_via_http(world, role="coordinator", **extra):
    case = make_case_with_facts(world.a)
    facts = [
        public_id("observation", pk)
        for pk in case.referrals.first().observations.values_list("pk", flat=True)
    ]
    data = {
        "recipient": "prefecture_ged",
        "legal_basis": "protocol",
        "purpose": "evaluation",
        "channel": "platform",
        "observations": facts,
        **extra,
    }
    response = persona_client(world, role).post(
        reverse("exchange:transmission_create", kwargs={"case_pk": case.pk}), data
    )
    return case, response


# --- Two-person rule -----------------------------------------------------------------------------


def test_transmission_is_not_sent_until_the_president_approves(world):
    case, response = _prepare_via_http(world)
    t = Transmission.objects.get(case=case)
    assert response.status_code == 302
    assert t.status == TransmissionStatus.DRAFT and t.approved_at is None and t.approved_by is None
    assert not t.is_sent
    assert t.observations.count() == 2
    # The president is asked to approve, the preparer is not.
    assert Notification.objects.filter(
        recipient=world.a.user("president"), kind=TRANSMISSION_TO_APPROVE
    ).exists()
    assert not Notification.objects.filter(recipient=world.a.user("coordinator")).exists()

    response = persona_client(world, "president").post(
        reverse("exchange:transmission_approve", kwargs={"pk": t.pk}), follow=True
    )
    t.refresh_from_db()
    assert t.status == TransmissionStatus.SENT
    assert t.approved_by == world.a.members["president"]
    assert t.approved_at is not None
    assert "compte désormais comme envoyée" in text(response)
    actions = list(AuditEvent.objects.filter(target_id=str(t.pk)).values_list("action", flat=True))
    assert "transmission.prepare" in actions and "transmission.approve" in actions


def test_president_cannot_approve_a_transmission_they_prepared(world):
    case, _ = _prepare_via_http(world, role="president")
    t = Transmission.objects.get(case=case)
    response = persona_client(world, "president").post(
        reverse("exchange:transmission_approve", kwargs={"pk": t.pk}), follow=True
    )
    t.refresh_from_db()
    assert t.status == TransmissionStatus.DRAFT and t.approved_by is None
    assert "une autre personne doit l'approuver" in text(response)


def test_approving_twice_is_refused_and_changes_nothing(world):
    t = make_transmission(world.a, sent=True)
    first = (t.approved_by_id, t.approved_at)
    response = persona_client(world, "president").post(
        reverse("exchange:transmission_approve", kwargs={"pk": t.pk}), follow=True
    )
    t.refresh_from_db()
    assert (t.approved_by_id, t.approved_at) == first
    assert "ne peut pas l'être deux fois" in text(response)


@pytest.mark.parametrize("role", ["coordinator", "state_member"])
def test_only_the_president_approves(world, role):
    t = make_transmission(world.a)
    status = persona_client(world, role).post(reverse("exchange:transmission_approve", kwargs={"pk": t.pk}))
    t.refresh_from_db()
    assert status.status_code in (403, 404)
    assert t.status == TransmissionStatus.DRAFT


def test_database_refuses_self_approval(world):
    t = make_transmission(world.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transmission.objects.filter(pk=t.pk).update(
            status="sent", approved_by=t.prepared_by, approved_at=timezone.now()
        )


def test_database_refuses_sent_without_approval(world):
    t = make_transmission(world.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transmission.objects.filter(pk=t.pk).update(status="sent")


def test_unknown_recipient_is_refused_with_a_clear_message(world):
    case, response = _prepare_via_http(world, recipient="fbi")
    assert response.status_code == 200
    assert "choisissez-la dans la liste" in text(response)
    assert not Transmission.objects.filter(case=case).exists()


def test_other_state_service_needs_its_name(world):
    _case, response = _prepare_via_http(world, recipient="other_state")
    assert response.status_code == 200
    assert "Précisez le service" in text(response)
    assert not Transmission.objects.exists()


def test_fact_of_another_case_is_refused(world):
    other = make_case_with_facts(world.a)
    foreign = other.referrals.first().observations.first().pk
    _case, response = _prepare_via_http(world, observations=[foreign])
    assert response.status_code == 200
    assert not Transmission.objects.exists()


def test_posting_extra_fields_changes_nothing(world):
    case, _response = _prepare_via_http(
        world,
        status="sent",
        approved_by=world.a.members["coordinator"].pk,
        approved_at="2026-01-01T00:00",
        cell=world.b.cell.pk,
        reference="FORGED",
    )
    t = Transmission.objects.get(case=case)
    assert t.status == "draft" and t.approved_by is None and t.cell == world.a.cell
    assert t.reference.startswith("AAA-T")


def test_transmission_detail_read_is_audited_once(world):
    t = make_transmission(world.a)
    before = AuditEvent.objects.filter(action="transmission.read").count()
    response = persona_client(world, "coordinator").get(
        reverse("exchange:transmission_detail", kwargs={"pk": t.pk})
    )
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="transmission.read").count() == before + 1


def test_register_is_printable_and_carries_no_names(world):
    person = make_person(world.a.cell, last_name="Canarinovitch", first_name="Zébulonne")
    case = make_case_with_facts(world.a, person=person)
    t = make_transmission(world.a, case=case, sent=True)
    body = text(persona_client(world, "coordinator").get(reverse("exchange:transmissions")))
    assert t.reference in body and case.reference in body
    assert "exchange/print.css" in body and 'media="print"' in body
    assert "Canarinovitch" not in body and "Zébulonne" not in body
    detail = persona_client(world, "coordinator").get(
        reverse("exchange:transmission_detail", kwargs={"pk": t.pk})
    )
    assert "Canarinovitch" not in text(detail)


def test_state_member_sees_sent_transmissions_only(world):
    draft = make_transmission(world.a)
    sent = make_transmission(world.a, sent=True)
    body = text(persona_client(world, "state_member").get(reverse("exchange:transmissions")))
    assert sent.reference in body and draft.reference not in body


def test_register_hides_the_case_and_who_prepared_it_from_a_state_member(world):
    """docs/rules.md §2: the State member reads a sent transmission without the case's reference or
    who prepared it; the register showed both to every reader, as the detail page does not."""
    t = make_transmission(world.a, sent=True)
    register = reverse("exchange:transmissions")
    context = (
        t.case.reference,
        world.a.user("coordinator").get_full_name(),  # prepared it
        world.a.user("president").get_full_name(),  # approved it
    )
    state = text(persona_client(world, "state_member").get(register))
    assert t.reference in state
    for hidden in context:
        assert hidden not in state
    assert "Préparée, approuvée" not in state
    coordinator = text(persona_client(world, "coordinator").get(register))
    assert t.reference in coordinator
    for shown in context:
        assert shown in coordinator


def _register_queries(world, persona: str) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """The SQL of the register as `persona` reads it with 1, then 5 sent transmissions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = persona_client(world, persona)
    make_transmission(world.a, sent=True)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("exchange:transmissions"))
    for _ in range(4):
        make_transmission(world.a, sent=True)
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("exchange:transmissions")).status_code == 200
    return [q["sql"] for q in one], [q["sql"] for q in five]


def test_register_does_not_fetch_the_context_for_a_state_member(world):
    """Hidden is not enough: the register's query for a State member reads neither the case nor the
    memberships who prepared and approved, and its count does not grow with the rows."""
    one, five = _register_queries(world, "state_member")
    assert len(five) == len(one)
    register = [sql for sql in five if 'FROM "exchange_transmission"' in sql]
    assert register
    for sql in register:
        for context in ('"case_id"', '"prepared_by_id"', '"approved_by_id"', '"cases_case"'):
            assert context not in sql


# --- State feedback ------------------------------------------------------------------------------


def test_state_member_records_feedback_from_the_closed_list(world):
    t = make_transmission(world.a, sent=True)
    response = persona_client(world, "state_member").post(
        reverse("exchange:feedback_record", kwargs={"pk": t.pk}),
        {"outcome": "no_further_action", "received_on": timezone.localdate().isoformat(), "comment": "x"},
    )
    assert response.status_code == 302
    fb = StateFeedback.objects.get(transmission=t)
    assert fb.outcome == "no_further_action" and fb.recorded_by == world.a.members["state_member"]
    assert AuditEvent.objects.filter(action="transmission.feedback", target_id=str(t.pk)).count() == 1


def test_feedback_on_an_unsent_transmission_is_refused(world):
    t = make_transmission(world.a)
    response = persona_client(world, "coordinator").post(
        reverse("exchange:feedback_record", kwargs={"pk": t.pk}),
        {"outcome": "taken_into_account", "received_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "pas encore envoyée" in text(response)
    assert not StateFeedback.objects.exists()


def test_feedback_twice_and_bad_values_are_refused(world):
    t = make_transmission(world.a, sent=True)
    client = persona_client(world, "coordinator")
    url = reverse("exchange:feedback_record", kwargs={"pk": t.pk})
    today = timezone.localdate()
    bad_outcome = client.post(url, {"outcome": "great", "received_on": today.isoformat()})
    future = client.post(
        url, {"outcome": "taken_into_account", "received_on": (today + timedelta(days=3)).isoformat()}
    )
    assert bad_outcome.status_code == 200 and future.status_code == 200
    assert "entre l'envoi et aujourd'hui" in text(future)
    assert not StateFeedback.objects.exists()
    assert (
        client.post(url, {"outcome": "taken_into_account", "received_on": today.isoformat()}).status_code
        == 302
    )
    again = client.post(url, {"outcome": "other_framework", "received_on": today.isoformat()})
    assert "déjà enregistré" in text(again)
    assert StateFeedback.objects.get().outcome == "taken_into_account"


def test_acknowledgement_of_receipt(world):
    t = make_transmission(world.a, sent=True)
    client = persona_client(world, "coordinator")
    url = reverse("exchange:transmission_acknowledge", kwargs={"pk": t.pk})
    client.post(url, {"on": timezone.localdate().isoformat()})
    t.refresh_from_db()
    assert t.status == TransmissionStatus.ACKNOWLEDGED and t.acknowledged_on == timezone.localdate()
    response = client.post(url, {"on": timezone.localdate().isoformat()}, follow=True)
    assert "pas encore reçue" in text(response)


# --- Overdue feedback ----------------------------------------------------------------------------


def test_overdue_feedback_is_shown_on_the_dashboard(world, settings):
    settings.CMER_FEEDBACK_DELAY_DAYS = 30
    t = age_transmission(make_transmission(world.a, sent=True), 31)
    make_transmission(world.a, sent=True)  # recent: not overdue
    assert list(Transmission.objects.feedback_overdue()) == [t]
    body = text(persona_client(world, "coordinator").get(reverse("core:dashboard")))
    assert "1 retour de l'État en retard" in body
    register = text(persona_client(world, "state_member").get(reverse("exchange:transmissions")))
    assert "en retard" in register


def test_the_register_says_late_from_midnight_paris_time(world, monkeypatch):
    """Due dates are Paris dates: at 00:30 in Paris (23:30 UTC) the register already counts the new
    day, as the dashboard does; it read the UTC date and said nothing for that hour."""
    paris_half_past_midnight = timezone.make_aware(
        datetime.combine(timezone.localdate() + timedelta(days=40), time(0, 30))
    ).astimezone(UTC)  # as timezone.now() gives it
    monkeypatch.setattr(timezone, "now", lambda: paris_half_past_midnight)
    t = age_transmission(make_transmission(world.a, sent=True), 31)
    assert t.feedback_due_on == timezone.localdate() - timedelta(days=1)
    register = text(persona_client(world, "state_member").get(reverse("exchange:transmissions")))
    assert "en retard" in register


def test_overdue_delay_is_configurable(world, settings):
    t = age_transmission(make_transmission(world.a, sent=True), 31)
    settings.CMER_FEEDBACK_DELAY_DAYS = 60
    assert not Transmission.objects.feedback_overdue().exists()
    settings.CMER_FEEDBACK_DELAY_DAYS = 10
    assert list(Transmission.objects.feedback_overdue()) == [t]


def test_overdue_notification_is_sent_once(world, settings):
    settings.CMER_FEEDBACK_DELAY_DAYS = 30
    t = age_transmission(make_transmission(world.a, sent=True), 40)
    call_command("notify_overdue_feedback")
    call_command("notify_overdue_feedback")
    overdue = Notification.objects.filter(kind=FEEDBACK_OVERDUE)
    recipients = sorted(overdue.values_list("recipient__email", flat=True))
    assert recipients == sorted(world.a.user(r).email for r in ("president", "coordinator", "state_member"))
    t.refresh_from_db()
    assert t.feedback_overdue_notified_at is not None
    # A transmission with feedback is never overdue.
    t2 = age_transmission(make_transmission(world.a, sent=True), 40)
    StateFeedback.objects.create(
        transmission=t2,
        outcome="taken_into_account",
        received_on=timezone.localdate(),
        recorded_by=world.a.members["coordinator"],
    )
    call_command("notify_overdue_feedback")
    assert Notification.objects.filter(kind=FEEDBACK_OVERDUE).count() == 3


# --- Information from the préfet -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "state_member", "guest", "reporter", "trainer", "dpo"])
def test_prefect_information_is_invisible_to(world, role):
    case = make_case_with_facts(world.a)
    info = make_prefect_info(world.a, by_role="coordinator", case=case)
    client = persona_client(world, role)
    detail = client.get(reverse("exchange:prefect_info_detail", kwargs={"pk": info.pk}))
    assert detail.status_code == 404
    listing = client.get(reverse("exchange:prefect_info_list"))
    assert listing.status_code in (200, 403)
    body = text(listing)
    assert str(PrefectSituation.SUBSIDY.label) not in body
    assert reverse("exchange:prefect_info_detail", kwargs={"pk": info.pk}) not in body
    assert PrefectInformation.objects.visible_to(world.a.members[role]).count() == 0


@pytest.mark.parametrize("role", ["president", "coordinator"])
def test_prefect_information_is_visible_to(world, role):
    info = make_prefect_info(world.a, by_role="state_member")
    client = persona_client(world, role)
    assert client.get(reverse("exchange:prefect_info_detail", kwargs={"pk": info.pk})).status_code == 200
    assert str(PrefectSituation.SUBSIDY.label) in text(client.get(reverse("exchange:prefect_info_list")))


def test_state_member_sees_own_entries_only(world):
    own = make_prefect_info(world.a, by_role="state_member")
    other = make_prefect_info(world.a, by_role="coordinator")
    client = persona_client(world, "state_member")
    assert client.get(reverse("exchange:prefect_info_detail", kwargs={"pk": own.pk})).status_code == 200
    assert client.get(reverse("exchange:prefect_info_detail", kwargs={"pk": other.pk})).status_code == 404


def test_prefect_information_records_only_closed_list_and_date(world):
    client = persona_client(world, "state_member")
    url = reverse("exchange:prefect_info_create")
    bad = client.post(url, {"situation": "gossip", "received_on": timezone.localdate().isoformat()})
    assert bad.status_code == 200 and not PrefectInformation.objects.exists()
    other_cell_case = make_case_with_facts(world.b)
    foreign = client.post(
        url,
        {
            "situation": "shop",
            "received_on": timezone.localdate().isoformat(),
            "case": public_id("case", other_cell_case.pk),
        },
    )
    assert foreign.status_code == 200 and not PrefectInformation.objects.exists()
    ok = client.post(
        url, {"situation": "shop", "received_on": timezone.localdate().isoformat(), "content": "x"}
    )
    assert ok.status_code == 302
    info = PrefectInformation.objects.get()
    assert info.situation == "shop" and info.recorded_by == world.a.members["state_member"]


# The préfet compartment is absent from every export: tests/test_exports.py finds the exports by
# what they return (content type), for every URL.


def test_no_other_module_reads_the_prefect_compartment():
    """Structural guard: exports, PDFs, statistics and transmissions live elsewhere and never import it."""
    root = Path(__file__).resolve().parent.parent / "cmer"
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "exchange" not in path.parts
        and "migrations" not in path.parts
        and ("PrefectInformation" in path.read_text() or "prefect_info" in path.read_text())
    ]
    assert offenders == []


# --- Threat briefings ----------------------------------------------------------------------------


def test_briefing_scheduled_then_logged_once(world):
    client = persona_client(world, "president")
    client.post(reverse("exchange:briefings"), {"scheduled_on": timezone.localdate().isoformat()})
    b = ThreatBriefing.objects.get()
    url = reverse("exchange:briefing_log", kwargs={"pk": b.pk})
    client.post(url, {"held": "yes"})
    b.refresh_from_db()
    assert b.held is True and b.logged_by == world.a.members["president"]
    response = client.post(url, {"held": "no"}, follow=True)
    b.refresh_from_db()
    assert b.held is True and "déjà consigné" in text(response)


def test_future_briefing_cannot_be_logged_as_held(world):
    client = persona_client(world, "coordinator")
    client.post(
        reverse("exchange:briefings"),
        {"scheduled_on": (timezone.localdate() + timedelta(days=9)).isoformat()},
    )
    b = ThreatBriefing.objects.get()
    response = client.post(
        reverse("exchange:briefing_log", kwargs={"pk": b.pk}), {"held": "yes"}, follow=True
    )
    b.refresh_from_db()
    assert b.held is None and "dans le futur" in text(response)


def test_register_query_count_does_not_grow_with_rows(world):
    one, five = _register_queries(world, "coordinator")
    assert len(five) == len(one)
    assert len(one) <= 25


def test_register_lists_cases_decided_for_transmission(world):
    from tests.factories import make_case, make_referral

    decided = make_case(world.a, "transmitted")
    urgent = make_case(world.a, "urgent_transmitted")
    done = make_case(world.a, "transmitted")
    make_referral(world.a, case=done)
    make_transmission(world.a, case=done)
    body = text(persona_client(world, "coordinator").get(reverse("exchange:transmissions")))
    for case in (decided, urgent):
        assert reverse("exchange:transmission_create", kwargs={"case_pk": case.pk}) in body
    assert reverse("exchange:transmission_create", kwargs={"case_pk": done.pk}) not in body
    state_body = text(persona_client(world, "state_member").get(reverse("exchange:transmissions")))
    assert "Transmissions à préparer" not in state_body


def test_dashboard_widget_tells_the_president_what_awaits_approval(world):
    make_transmission(world.a)  # prepared by the coordinator
    make_transmission(world.a, by_role="president")  # his own: not for him to approve
    body = text(persona_client(world, "president").get(reverse("core:dashboard")))
    assert "1 transmission à approuver" in body
    member = text(persona_client(world, "member").get(reverse("core:dashboard")))
    assert "Échanges avec l'État" not in member


@pytest.mark.parametrize(
    "observations",
    [
        pytest.param(list(range(1, 1500)), id="oversized-list"),
        pytest.param(["99999999999999999999999"], id="huge-id"),
        pytest.param(["-1"], id="negative-id"),
    ],
)
def test_transmission_with_a_hostile_observation_list_is_refused_with_a_message(world, observations):
    _case, response = _prepare_via_http(world, observations=observations)
    assert response.status_code == 200  # the form again, with its error (this view's convention)
    body = text(response)
    expected = (
        "Trop de faits choisis : 200 au plus."
        if len(observations) > 1
        else "Un fait choisi n'appartient pas à cette situation."
    )
    assert expected in body
    assert not Transmission.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="transmission.").exists()


def test_register_offers_reading_and_feedback_by_predicate_not_by_role(world):
    t = make_transmission(world.a, sent=True)
    detail = reverse("exchange:transmission_detail", kwargs={"pk": t.pk})
    feedback = reverse("exchange:feedback_record", kwargs={"pk": t.pk})
    offered = {}
    for role in ("president", "coordinator", "state_member"):
        body = text(persona_client(world, role).get(reverse("exchange:transmissions")))
        offered[role] = (f'href="{detail}"' in body, f'href="{feedback}"' in body)
    assert offered == {
        "president": (True, False),
        "coordinator": (True, True),
        "state_member": (True, True),
    }


def test_state_member_reads_what_was_addressed_to_the_state_and_nothing_else(world):
    """docs/rules.md §2: facts, purpose, legal basis, channel; not the case, not who prepared it."""
    person = make_person(world.a.cell, last_name="Canarinovitch", first_name="Zébulonne")
    case = make_case_with_facts(world.a, person=person)
    t = make_transmission(world.a, case=case, sent=True)
    draft = make_transmission(world.a)
    client = persona_client(world, "state_member")
    before = AuditEvent.objects.filter(action="transmission.read").count()
    body = text(client.get(reverse("exchange:transmission_detail", kwargs={"pk": t.pk})))
    assert AuditEvent.objects.filter(action="transmission.read").count() == before + 1
    fact = t.observations.first()
    for shown in (
        t.reference,
        fact.fact,
        fact.indicator.label,
        "Évaluation de la situation par l'État",
        "Protocole de la cellule",
        "Par la plateforme, après approbation du président",
    ):
        assert shown in body
    for hidden in (
        case.reference,
        "Canarinovitch",
        world.a.user("coordinator").get_full_name(),
        reverse("cases:detail", kwargs={"pk": case.pk}),
        "Approuver",
    ):
        assert hidden not in body
    assert client.get(reverse("exchange:transmission_detail", kwargs={"pk": draft.pk})).status_code == 404


def test_feedback_pending_lists_sent_transmissions_without_feedback(world):
    awaiting = make_transmission(world.a, sent=True)
    answered = make_transmission(world.a, sent=True)
    draft = make_transmission(world.a)
    other_cell = make_transmission(world.b, sent=True)
    persona_client(world, "coordinator").post(
        reverse("exchange:feedback_record", kwargs={"pk": answered.pk}),
        {"outcome": "taken_into_account", "received_on": timezone.localdate().isoformat()},
    )
    client = persona_client(world, "state_member")
    body = text(client.get(reverse("exchange:feedback_pending")))
    assert awaiting.reference in body
    assert reverse("exchange:transmission_detail", kwargs={"pk": awaiting.pk}) in body
    for absent in (answered.reference, draft.reference, other_cell.reference):
        assert absent not in body
    assert "1 retour attendu" in body
    dashboard = text(client.get(reverse("core:dashboard")))
    assert reverse("exchange:feedback_pending") in dashboard
    recorded = client.post(
        reverse("exchange:feedback_record", kwargs={"pk": awaiting.pk}),
        {"outcome": "no_further_action", "received_on": timezone.localdate().isoformat()},
    )
    assert recorded["Location"] == reverse("exchange:feedback_pending")
    emptied = text(client.get(reverse("exchange:feedback_pending")))
    assert "Aucun retour attendu" in emptied and "Aucune transmission en attente de retour" in emptied
    assert "0 retour" not in emptied


def test_briefings_are_visible_to_the_managers_of_their_cell_only(world):
    from cmer.exchange.services import briefing_schedule

    mine = briefing_schedule(scheduled_on=timezone.localdate(), by=world.a.members["coordinator"])
    theirs = briefing_schedule(scheduled_on=timezone.localdate(), by=world.b.members["coordinator"])
    assert list(ThreatBriefing.objects.visible_to(world.a.members["president"])) == [mine]
    assert not ThreatBriefing.objects.visible_to(world.a.members["member"]).exists()
    assert not ThreatBriefing.objects.visible_to(None).exists()
    client = persona_client(world, "president")
    log_theirs = client.post(reverse("exchange:briefing_log", kwargs={"pk": theirs.pk}), {"held": "no"})
    assert log_theirs.status_code == 404
    theirs.refresh_from_db()
    assert theirs.held is None


def test_a_refused_exchange_change_is_a_domain_error_with_a_code(world):
    from cmer.core.errors import DomainError
    from cmer.exchange.services import ExchangeError, transmission_approve

    t = make_transmission(world.a, by_role="president")
    with pytest.raises(ExchangeError) as refused:
        transmission_approve(transmission=t, by=world.a.members["president"])
    assert isinstance(refused.value, DomainError)
    assert refused.value.code == "two_person_rule"
    assert "règle des deux personnes" in refused.value.message
