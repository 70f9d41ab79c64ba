"""Rights carried out (docs/rules.md §13): access extract, rectification, erasure, information,
one situation per person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cmer.audit.chain import verify
from cmer.audit.models import AuditEvent
from cmer.cases.information import information_decide, information_due
from cmer.cases.models import Case, InformationDecision, Person, Rectification
from cmer.cases.persons import find_known_persons
from cmer.cases.services import case_attach, case_close
from cmer.cases.states import State
from cmer.core.errors import DomainError
from cmer.core.public_ids import public_id
from cmer.exchange.models import PrefectSituation
from cmer.meetings.models import Decision
from cmer.privacy.models import PurgeReport
from cmer.referrals.models import Referral
from cmer.stats.aggregates import collect, period_for
from tests.factories import make_case, make_person, make_referral
from tests.factories_exchange import make_prefect_info, make_transmission
from tests.factories_meetings import make_item
from tests.factories_privacy import make_rights_request
from tests.personas import persona_client
from tests.test_pdf import pdf_text

pytestmark = pytest.mark.django_db
BIRTH = dt.date(2009, 5, 17)


def _subject(request_pk: int, last: str = "Lefranc", first: str = "Noé") -> dict[str, str]:
    return {"last_name": last, "first_name": first, "birth_date": BIRTH.isoformat()}


def test_access_extract_holds_the_persons_facts_and_decisions_and_nobody_else(world):
    cw = world.a
    person = make_person(
        cw.cell,
        last_name="Lefranc",
        first_name="Noé",
        birth_date=BIRTH,
        legal_representatives="Jeanne Tiercelin",
    )
    item = make_item(cw, person=person)
    Decision.objects.create(
        item=item,
        kind="propose_support",
        responsible_service="CCAS Jeunesse",
        recorded_by=cw.members["president"],
    )
    case = item.case
    make_referral(cw, case=case, description="Absences répétées au collège Zola.")
    transmission = make_transmission(cw, sent=True, case=case)
    make_prefect_info(cw, case=case)
    other = make_case(cw, person=make_person(cw.cell, last_name="Autrui", first_name="Zélie"))
    make_referral(cw, case=other, description="Fait concernant une autre personne.")
    request_item = make_rights_request(cw, kind="access")

    response = persona_client(world, "dpo").post(
        reverse("privacy:rights_extract", args=[request_item.pk]), _subject(request_item.pk)
    )

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "Lefranc" in text and "Absences répétées au collège Zola." in text
    assert "Fait constaté le jour même." in text  # the observed facts
    assert "proposition d'accompagnement" in text and "Jeunesse" in text  # the meeting's decision
    assert "Préfecture" in text and transmission.approved_at is not None  # the transmission sent
    assert "Autrui" not in text and "Zélie" not in text and "autre personne" not in text
    assert "Tiercelin" not in text  # a legal representative is a third party
    assert "Reporter" not in text and "President" not in text  # nobody of the cell is named
    assert str(PrefectSituation.SUBSIDY.label) not in text  # nothing of the préfet's compartment
    assert "compte n°" in text  # watermarked
    event = AuditEvent.objects.get(action="rights.access_extract")
    assert event.target_id == str(request_item.pk) and event.data == {"persons": 1, "cases": 1}


def test_access_extract_is_the_dpos_and_of_its_own_cell(world):
    request_b = make_rights_request(world.b, kind="access")
    assert (
        persona_client(world, "dpo")
        .post(reverse("privacy:rights_extract", args=[request_b.pk]), _subject(request_b.pk))
        .status_code
        == 404
    )


def test_a_rectified_name_is_found_under_the_new_value_only(world):
    cw = world.a
    case = make_case(
        cw, State.SUPPORT, person=make_person(cw.cell, last_name="Dupond", first_name="Léa", birth_date=BIRTH)
    )
    referral = make_referral(cw, case=case)
    obs = referral.observations.get()
    data = {
        "reason": "rights_request",
        "last_name": "Dupont",
        "first_name": "Léa",
        "birth_date": BIRTH.isoformat(),
        "sex": "F",
        "address": "",
        "phone": "",
        "email": "",
        "situation": "",
        "legal_representatives": "",
        f"fact_{public_id('observation', obs.pk)}": "Fait rectifié à la demande.",
    }
    response = persona_client(world, "coordinator").post(reverse("privacy:rectify", args=[case.pk]), data)

    assert response.status_code == 302
    assert list(find_known_persons(cw.cell, "Dupont", "Léa", BIRTH)) == [case.person]
    assert not find_known_persons(cw.cell, "Dupond", "Léa", BIRTH).exists()
    obs.refresh_from_db()
    assert obs.fact == "Fait rectifié à la demande."
    rect = Rectification.objects.get(person=case.person)
    assert rect.fields == ["last_name", "sex"] and rect.facts == 1
    event = AuditEvent.objects.get(action="person.rectify")
    assert event.data == {"field.last_name": True, "field.sex": True, "facts": 1, "reason": "rights_request"}
    raw = str(event.data)
    assert "Dupond" not in raw and "Dupont" not in raw  # never a value, old or new


def test_an_erasure_keeps_statistics_consistent_and_the_chain_verifiable(world):
    cw = world.a
    last_year = timezone.localdate().year - 1
    opened = timezone.make_aware(dt.datetime(last_year, 3, 10, 10))
    kept = [make_case(cw, State.SUPPORT, opened_at=opened) for _ in range(2)]
    erased = make_case(cw, State.SUPPORT, opened_at=opened)
    for case in [*kept, erased]:
        Referral.objects.filter(pk=make_referral(cw, case=case).pk).update(received_at=opened)
    period = period_for(last_year)

    def totals() -> tuple[int, int]:
        values = collect([cw.cell.pk], period)[cw.cell.pk].values
        ages = sum(n for (table, _k), n in values.items() if table == "ages")
        sources = sum(n for (table, _k), n in values.items() if table == "referrals_source")
        return ages, sources

    assert totals() == (3, 3)
    client = persona_client(world, "coordinator")
    response = client.post(
        reverse("privacy:erase", args=[erased.pk]), {"mode": "erasure", "confirm": "on"}, follow=True
    )

    assert response.redirect_chain == [(reverse("cases:list"), 302)]
    assert "Effacement réalisé : 1 situation détruite." in response.content.decode()
    assert (
        not Case.objects.filter(pk=erased.pk).exists()
        and not Person.objects.filter(pk=erased.person_id).exists()
    )
    assert (
        totals()
        == (2, 2)
        == (
            Case.objects.filter(cell=cw.cell, opened_at=opened).count(),
            Referral.objects.filter(cell=cw.cell, received_at=opened).count(),
        )
    )
    report = PurgeReport.objects.get(trigger="rights")
    assert report.counts["cases.Case"] == 1 and report.counts["rule.erasure"] == 1
    assert AuditEvent.objects.filter(action="rights.erasure", target_id=str(report.pk)).exists()
    assert AuditEvent.objects.filter(action="purge.case_destroyed", data__rule="erasure").count() == 1
    assert verify().ok


@override_settings(CMER_INFORMATION_DAYS=30)
def test_no_person_stays_undecided_beyond_the_set_time_without_being_listed(world):
    cw = world.a
    today = timezone.localdate()
    ages = [0, 29, 30, 31, 45, 60, 200]  # days since opening; 31 is the first one overdue
    cases = {}
    for days in ages:
        cases[days] = make_case(cw, State.SUPPORT, opened_at=timezone.now() - dt.timedelta(days=days))
    informed, deferred, overdue_deferral = cases[60], cases[45], cases[200]
    by = cw.members["coordinator"]
    information_decide(person=informed.person, status="informed", informed_on=today, method="letter", by=by)
    information_decide(
        person=deferred.person,
        status="deferred",
        deferral_reason="compromise_prevention",
        review_on=today + dt.timedelta(days=10),
        by=by,
    )
    information_decide(
        person=overdue_deferral.person,
        status="deferred",
        deferral_reason="state_assessment",
        review_on=today + dt.timedelta(days=5),
        by=by,
    )
    InformationDecision.objects.filter(person=overdue_deferral.person).update(
        review_on=today - dt.timedelta(days=1)
    )

    listed = {row.case_id: row.kind for row in information_due(cw.cell.pk)}

    # The invariant: every person past the time without a valid decision is listed, and only they.
    for case in Case.objects.filter(cell=cw.cell).select_related("person"):
        latest = case.person.information_decisions.first()
        past_time = timezone.localdate(case.opened_at) + dt.timedelta(days=30) < today
        must = (latest is None and past_time) or (
            latest is not None and latest.status == "deferred" and latest.review_on < today
        )
        assert (case.pk in listed) == must, case.pk
    assert listed[overdue_deferral.pk] == "review_due" and listed[cases[31].pk] == "undecided"
    assert cases[30].pk not in listed
    # A deferral comes back at closure.
    case_close(case=deferred, reason="end_of_support", by=by)
    assert {r.case_id: r.kind for r in information_due(cw.cell.pk)}[deferred.pk] == "closure_review"
    page = persona_client(world, "dpo").get(reverse("privacy:information_due"))
    assert page.status_code == 200 and cases[31].reference in page.content.decode()


def test_attaching_a_second_signalement_gives_one_situation_with_two(world):
    cw = world.a
    known = make_case(
        cw, State.SUPPORT, person=make_person(cw.cell, last_name="Morel", first_name="Inès", birth_date=BIRTH)
    )
    make_referral(cw, case=known)
    new = make_case(cw, person=make_person(cw.cell, last_name="MOREL", first_name="ines", birth_date=BIRTH))
    make_referral(cw, case=new)
    client = persona_client(world, "coordinator")
    page = client.get(reverse("cases:qualify", args=[new.pk]))
    assert "Rattacher" in page.content.decode()

    response = client.post(
        reverse("cases:attach", args=[new.pk]), {"into": public_id("case", known.pk), "reason": "same_person"}
    )

    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[known.pk])
    assert not Case.objects.filter(pk=new.pk).exists()
    assert Case.objects.filter(cell=cw.cell, person__name_index=known.person.name_index).count() == 1
    assert Referral.objects.filter(case=known).count() == 2
    assert set(Referral.objects.filter(case=known).values_list("person_id", flat=True)) == {known.person_id}
    event = AuditEvent.objects.get(action="case.attach")
    assert event.target_id == str(known.pk) and event.data["from"] == new.pk and event.data["referrals"] == 1


def test_a_known_person_whose_situation_cannot_take_the_signalement_yet_is_told_why(world):
    cw = world.a
    waiting = make_case(
        cw, person=make_person(cw.cell, last_name="Morel", first_name="Inès", birth_date=BIRTH)
    )
    new = make_case(cw, person=make_person(cw.cell, last_name="Morel", first_name="Inès", birth_date=BIRTH))
    client = persona_client(world, "coordinator")
    page = client.get(reverse("cases:qualify", args=[new.pk])).content.decode()
    assert "Personne déjà connue" in page and waiting.reference in page
    assert "Rattacher" not in page and "ne peut pas encore être rattaché" in page
    # Once the existing situation is qualified, the form replaces the explanation.
    Case.objects.filter(pk=waiting.pk).update(state=State.SUPPORT)
    page = client.get(reverse("cases:qualify", args=[new.pk])).content.decode()
    assert "Rattacher" in page and "ne peut pas encore être rattaché" not in page


def test_a_closed_situation_is_reopened_by_a_new_signalement(world):
    cw = world.a
    person = make_person(cw.cell, last_name="Roux", first_name="Sam", birth_date=BIRTH)
    closed = make_case(
        cw, State.CLOSED, person=person, scheduled_deletion=timezone.localdate() + dt.timedelta(days=300)
    )
    new = make_case(cw, person=make_person(cw.cell, last_name="Roux", first_name="Sam", birth_date=BIRTH))
    case_attach(case=new, into=closed, reason="reopen", by=cw.members["president"])
    closed.refresh_from_db()
    assert closed.state == State.TO_REVIEW
    assert closed.transitions.filter(from_state=State.CLOSED, to_state=State.TO_REVIEW).exists()


def test_no_attachment_across_cells(world):
    person_a = make_person(world.a.cell, last_name="Perrin", first_name="Lou", birth_date=BIRTH)
    new_a = make_case(world.a, person=person_a)
    in_b = make_case(
        world.b,
        State.SUPPORT,
        person=make_person(world.b.cell, last_name="Perrin", first_name="Lou", birth_date=BIRTH),
    )
    assert person_a.name_index == in_b.person.name_index  # the same blind index…
    client = persona_client(world, "coordinator")
    assert "Rattacher" not in client.get(reverse("cases:qualify", args=[new_a.pk])).content.decode()
    response = client.post(
        reverse("cases:attach", args=[new_a.pk]),
        {"into": public_id("case", in_b.pk), "reason": "same_person"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:qualify", args=[new_a.pk])
    with pytest.raises(DomainError):
        case_attach(case=new_a, into=in_b, reason="same_person", by=world.a.members["coordinator"])
    assert (
        Case.objects.filter(pk=new_a.pk).exists()
        and not AuditEvent.objects.filter(action="case.attach").exists()
    )


def test_the_dpo_reads_the_reasons_given_to_open_archives(world):
    from cmer.cases.services import archive_access_grant

    case = make_case(world.a, State.ARCHIVED)
    archive_access_grant(
        case=case, reason="Demande du juge des enfants du 3 mars.", by=world.a.members["president"]
    )
    page = persona_client(world, "dpo").get(reverse("privacy:archive_reasons"))
    assert page.status_code == 200 and "Demande du juge des enfants du 3 mars." in page.content.decode()
    assert AuditEvent.objects.filter(action="dpo.archive_reasons").exists()


def test_the_information_letter_names_the_controller_and_dpo_and_no_one_else(world, settings):
    settings.CMER_CONTROLLER = "Ville de Miramas"
    settings.CMER_DPO_CONTACT = "dpo@ville-exemple.fr"
    case = make_case(world.a, State.SUPPORT, person=make_person(world.a.cell, last_name="Garnier"))
    response = persona_client(world, "coordinator").get(reverse("cases:information_letter", args=[case.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    assert "Ville de Miramas" in text and "dpo@ville-exemple.fr" in text and case.reference in text
    assert "Garnier" not in text and "Vos droits" in text
    assert AuditEvent.objects.filter(action="case.information_letter", target_id=str(case.pk)).exists()


def test_a_restriction_archives_the_finished_situations_and_waits_for_open_ones(world):
    cw = world.a
    person = make_person(cw.cell, last_name="Vidal", first_name="Noa", birth_date=BIRTH)
    ended = make_case(cw, State.CLOSED, person=person)
    still_open = make_case(cw, State.SUPPORT, person=person)
    client = persona_client(world, "coordinator")
    url = reverse("privacy:erase", args=[ended.pk])

    refused = client.post(url, {"mode": "restriction", "confirm": "on"})
    assert refused.status_code == 400 and "encore suivie" in refused.content.decode()
    ended.refresh_from_db()
    assert ended.state == State.CLOSED and not PurgeReport.objects.filter(trigger="rights").exists()

    Case.objects.filter(pk=still_open.pk).update(state=State.CLOSED)
    done = client.post(url, {"mode": "restriction", "confirm": "on"}, follow=True)
    assert done.redirect_chain == [(reverse("cases:list"), 302)]
    assert "Traitement limité : 2 situations archivées." in done.content.decode()
    assert set(Case.objects.filter(person=person).values_list("state", flat=True)) == {State.ARCHIVED}
    assert PurgeReport.objects.get(trigger="rights").counts == {"archived": 2, "rule.restriction": 2}
    assert AuditEvent.objects.filter(action="rights.restriction").exists()
    assert Person.objects.filter(pk=person.pk).exists()  # kept, only stored
