"""Signalement intake: the form, the atomic service, notifications, receipts and bad input."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.cases.models import Case, Person
from cmer.notifications.models import Notification
from cmer.referrals.models import Observation, Referral
from cmer.referrals.notifications import KNOWN_PERSON, REFERRAL_TO_QUALIFY, URGENT_REFERRAL
from cmer.training.models import Indicator
from tests.factories import certify, current_indicators, make_case, make_person, make_referral
from tests.matrix_referrals import referral_post_data, submit_data
from tests.personas import login, persona_client

SUBMIT = reverse("referrals:submit")


def _counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Case.objects.count(),
        Referral.objects.count(),
        Observation.objects.count(),
    )


def _post(client, data):  # type: ignore[no-untyped-def]
    return client.post(SUBMIT, data)


@pytest.fixture
def reporter(world):  # type: ignore[no-untyped-def]
    certify(world.a, "reporter")
    return persona_client(world, "reporter")


def test_reporter_submits_and_gets_a_receipt_with_reference(world, reporter):
    data = submit_data(world, world.a)
    data["source"] = "school"  # a reporter's source is fixed, whatever is posted
    response = _post(reporter, data)
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.source == "trained_agent"
    assert referral.submitted_by == world.a.members["reporter"]
    assert re.fullmatch(r"AR-AAA-\d{4}-[A-Z2-9]{8}", referral.reference)
    case = referral.case
    assert case.state == "received"
    assert re.fullmatch(rf"AAA-{timezone.localdate().year}-\d{{4}}", case.reference)
    assert case.prequalification_due == timezone.localdate() + timedelta(
        days=world.a.cell.prequalification_days
    )
    assert case.is_minor is True  # born 2009
    assert case.person.last_name == "Matrice"
    assert referral.observations.count() == 1
    page = reporter.get(response["Location"])
    assert referral.reference in page.content.decode()
    assert "Matrice" not in page.content.decode()
    kinds = set(Notification.objects.values_list("kind", "recipient"))
    assert kinds == {(REFERRAL_TO_QUALIFY, world.a.user("coordinator").pk)}
    assert AuditEvent.objects.filter(action="referral.submit", target_id=str(referral.pk)).count() == 1


def test_form_shows_caveats_grouped_indicators_and_the_17_instruction(world, reporter):
    html = reporter.get(SUBMIT).content.decode()
    assert "Danger imminent : appelez le 17" in html
    assert "La conversion n&#x27;est pas, en soi, un signe de radicalisation." in html
    assert '<optgroup label="Ruptures">' in html
    assert "(signal fort)" in html
    assert "Change de numéro plusieurs fois en un mois" in html  # an indicator's example
    assert 'name="source"' not in html  # fixed for a reporter
    coordinator_html = persona_client(world, "coordinator").get(SUBMIT).content.decode()
    assert 'name="source"' in coordinator_html


def test_urgent_notifies_president_coordinator_and_state_member_at_once(world, reporter):
    data = submit_data(world, world.a)
    data["urgent"] = "on"
    response = _post(reporter, data)
    referral = Referral.objects.get()
    notified = set(Notification.objects.filter(kind=URGENT_REFERRAL).values_list("recipient", flat=True))
    assert notified == {world.a.user(r).pk for r in ("president", "coordinator", "state_member")}
    assert all(
        (n.target_type, n.target_id) == ("cases.case", referral.case.pk) for n in Notification.objects.all()
    )
    assert "appelez le 17" in reporter.get(response["Location"]).content.decode()


def test_known_person_in_same_cell_is_flagged_never_across_cells(world, reporter):
    make_person(world.b.cell, last_name="Matrice", first_name="Test", birth_date=date(2009, 4, 1))
    _post(reporter, submit_data(world, world.a))
    assert not Notification.objects.filter(kind=KNOWN_PERSON).exists()
    earlier = make_case(
        world.a,
        person=make_person(world.a.cell, last_name="MATRICE", first_name="test", birth_date=date(2009, 4, 1)),
    )
    _post(reporter, submit_data(world, world.a))
    known = Notification.objects.filter(kind=KNOWN_PERSON)
    assert [n.recipient_id for n in known] == [world.a.user("coordinator").pk]
    newest = Referral.objects.order_by("-pk").first().case
    page = persona_client(world, "coordinator").get(reverse("cases:qualify", kwargs={"pk": newest.pk}))
    assert earlier.reference in page.content.decode()


def test_double_submit_creates_one_referral(world, reporter):
    data = submit_data(world, world.a)
    first = _post(reporter, data)
    second = _post(reporter, data)
    assert Referral.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_member_without_certification_may_not_submit(world):
    client = persona_client(world, "member")
    before = _counts()
    assert _post(client, referral_post_data()).status_code == 403
    assert _counts() == before
    certify(world.a, "member")
    assert _post(client, submit_data(world, world.a)).status_code == 302


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("obs-0-indicator", "999999", "Sélectionnez un choix valide"),
        (
            "obs-0-observed_on",
            (date.today() + timedelta(days=3)).isoformat(),
            "ne peut pas être dans le futur",
        ),
        ("birth_date", (date.today() + timedelta(days=3)).isoformat(), "ne peut pas être dans le futur"),
        ("description", "x" * 5000, "au plus 1000 caractères"),
        ("obs-0-fact", "y" * 301, "au plus 300 caractères"),
        ("last_name", "Nul\x00Byte", "Le caractère nul"),
        ("obs-0-fact", "Fait\x00nul", "Le caractère nul"),
        ("submission_key", "short", "rechargez la page"),
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(world, reporter, field, value, message):
    data = submit_data(world, world.a)
    data[field] = value
    before = _counts()
    response = _post(reporter, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _counts() == before
    assert not Notification.objects.exists()


def test_indicator_of_a_superseded_version_is_refused(world, reporter):
    """An indicator id that exists but is not of the version in force is unknown to the form."""
    from cmer.training.models import CatalogueVersion, Domain

    old = CatalogueVersion.objects.create(number=99, status="superseded")
    domain = Domain.objects.create(version=old, code="OLD", name="Ancien")
    stale = Indicator.objects.create(
        version=old, domain=domain, code="OLD-1", label="Ancien", signal="weak", description="d"
    )
    data = submit_data(world, world.a)
    data["obs-0-indicator"] = str(stale.pk)
    before = _counts()
    assert _post(reporter, data).status_code == 400
    assert _counts() == before


def test_no_fact_at_all_is_refused(world, reporter):
    data = submit_data(world, world.a)
    for key in ("obs-0-indicator", "obs-0-observed_on", "obs-0-fact"):
        data[key] = ""
    response = _post(reporter, data)
    assert response.status_code == 400
    assert "Indiquez au moins un fait observé." in response.content.decode()
    assert Referral.objects.count() == 0


def test_script_tags_are_escaped_on_display(world, reporter):
    data = submit_data(world, world.a)
    data["description"] = "<script>alert(1)</script>"
    data["last_name"] = "<b>Gras</b>"
    _post(reporter, data)
    case = Referral.objects.get().case
    html = (
        persona_client(world, "coordinator")
        .get(reverse("cases:detail", kwargs={"pk": case.pk}))
        .content.decode()
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Gras&lt;/b&gt;" in html


def test_mine_lists_own_referrals_with_coarse_status_only(world, reporter):
    own = make_referral(world.a, by=world.a.members["reporter"], case=make_case(world.a, "support"))
    received = make_referral(world.a, by=world.a.members["reporter"])
    other = make_referral(world.a, by=world.a.members["coordinator"])
    html = reporter.get(reverse("referrals:mine")).content.decode()
    assert own.reference in html and received.reference in html
    assert other.reference not in html
    assert "en cours de traitement" in html and "reçu" in html
    assert "accompagnement" not in html  # the outcome itself is never shown
    assert own.case.reference not in html
    assert own.person.last_name not in html


def test_receipt_is_its_submitters_only(world, reporter):
    referral = make_referral(world.a, by=world.a.members["coordinator"])
    url = reverse("referrals:acknowledgement", kwargs={"pk": referral.pk})
    assert reporter.get(url).status_code == 404
    assert persona_client(world, "coordinator").get(url).status_code == 200


def test_case_references_count_up_per_cell(world):
    a1, a2, b1 = make_case(world.a), make_case(world.a), make_case(world.b)
    year = timezone.localdate().year
    assert a1.reference == f"AAA-{year}-0001"
    assert a2.reference == f"AAA-{year}-0002"
    assert b1.reference == f"BBB-{year}-0001"


def test_adult_is_not_minor(world):
    from cmer.cases.services import case_open

    person = make_person(world.a.cell, birth_date=date(1990, 1, 1))
    assert case_open(person=person, by=world.a.members["coordinator"]).is_minor is False


def test_other_cell_user_login_sees_no_referral(world):
    make_referral(world.a)
    client = login(Client(), world.b.user("reporter"), world.b.members["reporter"])
    html = client.get(reverse("referrals:mine")).content.decode()
    assert "AR-AAA" not in html


@pytest.mark.django_db(transaction=True)  # catalogue v1 reloaded by tests/conftest.py
def test_concurrent_intakes_get_distinct_references_and_one_referral_per_key(world):
    """Threads racing: the locked counter hands out each number once; a shared key makes one referral."""
    import threading

    from django.db import connection as default_connection

    from cmer.referrals.services import Identity, referral_submit_once

    indicator = current_indicators()[0].pk
    by = world.a.members["coordinator"]
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def submit_with_retry(key: str) -> None:
        import time

        from django.db import OperationalError

        # The in-memory SQLite test database uses shared-cache table locks, which fail at once
        # instead of waiting like the file database (IMMEDIATE, 20 s timeout) or PostgreSQL's
        # row lock: retrying stands in for that wait, the outcome checked below is the same.
        for _attempt in range(200):
            try:
                referral_submit_once(
                    by=by,
                    identity=Identity(last_name="Course", first_name="Concur", birth_date=date(2005, 5, 5)),
                    source="school",
                    description="Faits.",
                    urgent=False,
                    observations=[
                        {
                            "indicator": indicator,
                            "observed_on": date(2026, 1, 2),
                            "mode": "direct",
                            "fact": "Fait.",
                        }
                    ],
                    submission_key=key,
                )
                return
            except OperationalError as exc:
                if "locked" not in str(exc):
                    raise
                time.sleep(0.01)
        raise AssertionError("still locked after 200 attempts")

    def submit(key: str) -> None:
        try:
            barrier.wait(timeout=30)
            submit_with_retry(key)
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            default_connection.close()

    keys = [f"distinct-key-{i:04d}-xxxxxx" for i in range(4)] + ["shared-key-0000-xxxxxx"] * 2
    threads = [threading.Thread(target=submit, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert Referral.objects.count() == 5
    references = sorted(Case.objects.values_list("reference", flat=True))
    year = timezone.localdate().year
    assert references == [f"AAA-{year}-{n:04d}" for n in range(1, 6)]


def test_canary_seeded_through_the_ui_is_not_in_the_database_in_clear(world, reporter):
    """docs/security.md #17 and #6: no plaintext identity at rest, nor in the audit trail or notices."""
    from django.db import connection

    canary = "Quokkalamanche"
    data = submit_data(world, world.a)
    data.update(last_name=canary, first_name="Xanthippe", address="7 impasse Quokka", phone="0611223344")
    assert _post(reporter, data).status_code == 302
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_person")
        rows = cursor.fetchall()
    dump = " ".join(str(v) for row in rows for v in row).lower()
    for secret in (canary, "xanthippe", "quokka", "0611223344", "2009-04-01"):
        assert secret.lower() not in dump
    events = " ".join(f"{e.action} {e.target_id} {e.data}" for e in AuditEvent.objects.all())
    notices = " ".join(f"{n.kind} {n.target_type} {n.link}" for n in Notification.objects.all())
    assert canary.lower() not in (events + notices).lower()
    assert Person.objects.get().last_name == canary


def test_extra_posted_fields_change_nothing(world, reporter):
    """docs/security.md #4: the owner, the cell and the state come from the session and the service."""
    data = submit_data(world, world.a)
    data.update(
        cell=str(world.b.cell.pk),
        submitted_by=str(world.a.members["coordinator"].pk),
        state="support",
        reference="AR-FAKE",
        urgent="",
    )
    _post(reporter, data)
    referral = Referral.objects.get()
    assert referral.cell == world.a.cell
    assert referral.submitted_by == world.a.members["reporter"]
    assert referral.case.state == "received"
    assert referral.reference != "AR-FAKE"


def test_biased_wording_warns_then_is_accepted_once_confirmed(world, reporter):
    """The bias guard: a special category or a judgement in free text is explained, never silently kept."""
    data = submit_data(world, world.a)
    data["description"] = "Il est devenu musulman récemment."
    first = _post(reporter, data)
    assert first.status_code == 400
    html = first.content.decode()
    assert "désigne une religion" in html
    assert "Je confirme que ce texte décrit un fait observé" in html
    assert Referral.objects.count() == 0
    data["bias_confirmed"] = "on"
    assert _post(reporter, data).status_code == 302
    assert Referral.objects.count() == 1


def test_biased_wording_in_an_observed_fact_is_flagged_on_that_fact(world, reporter):
    data = submit_data(world, world.a)
    data["obs-0-fact"] = "Porte le voile depuis septembre."
    response = _post(reporter, data)
    assert response.status_code == 400
    assert Referral.objects.count() == 0
    data["obs-0-fact"] = "Absent aux cours de sport trois fois en septembre."
    assert _post(reporter, data).status_code == 302
