"""Training: catalogue versions, sessions, attendance, certifications and the reporting gate."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.cases.models import Case
from cmer.core.public_ids import public_id
from cmer.notifications.models import Notification
from cmer.referrals.models import Referral
from cmer.training import services
from cmer.training.gate import has_valid_certification
from cmer.training.models import (
    Attendance,
    BiasWarningCount,
    CatalogueStatus,
    CatalogueVersion,
    Certification,
    Indicator,
    QuizResult,
    TrainingPolicy,
    TrainingSession,
)
from cmer.training.notifications import CERTIFICATION_EXPIRING
from tests.factories import make_referral
from tests.factories_training import (
    ensure_draft,
    make_attendance,
    make_certification,
    make_provider,
    make_session,
    session_with_attendee,
)
from tests.personas import login, persona_client

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- the gate --------------------------------------------------------------------------------


def test_gate_requires_a_current_unrevoked_certification(world):
    reporter = world.a.members["reporter"]
    assert not has_valid_certification(reporter)
    cert = make_certification(world.a, reporter.user)
    assert has_valid_certification(reporter)
    cert.revoked_at = timezone.now()
    cert.save()
    assert not has_valid_certification(reporter)


def test_gate_refuses_an_expired_or_not_yet_valid_certification(world):
    reporter = world.a.members["reporter"]
    today = timezone.localdate()
    make_certification(world.a, reporter.user, issued_on=today - timedelta(days=800), expires_on=today)
    assert not has_valid_certification(reporter)
    member = world.a.members["member"]
    make_certification(world.a, member.user, issued_on=today + timedelta(days=3))
    assert not has_valid_certification(member)
    assert not has_valid_certification(None)


def test_certification_held_in_one_cell_counts_for_the_person(world):
    # The training qualifies the person: a certification issued through cell A holds in cell B too.
    from tests.personas import make_membership

    reporter = world.a.members["reporter"]
    make_certification(world.a, reporter.user)
    other = make_membership(reporter.user, world.b.cell, "reporter")
    assert has_valid_certification(other)


def test_uncertified_reporter_is_refused_the_intake_then_allowed_once_certified(world):
    client = persona_client(world, "reporter")
    url = reverse("referrals:submit")
    refused = client.get(url)
    assert refused.status_code == 403
    make_certification(world.a, world.a.user("reporter"))
    assert client.get(url).status_code == 200


def test_refusal_page_says_why_and_whom_to_contact(world, rf):
    from cmer.training.gate import refusal_response
    from cmer.training.models import Trainer

    Trainer.objects.create(
        membership=world.a.members["trainer"], provider=make_provider("Prévention Conseil")
    )
    client = persona_client(world, "reporter")
    client.get(reverse("core:dashboard"))  # a real request sets membership on the request
    request = rf.get("/signalements/nouveau/")
    request.user = world.a.user("reporter")
    request.membership = world.a.members["reporter"]
    request.csp_nonce = "n"
    response = refusal_response(request)
    html = response.content.decode()
    assert response.status_code == 403
    assert "Habilitation requise" in html
    assert world.a.user("trainer").email in html and "Prévention Conseil" in html
    assert world.a.user("coordinator").email in html
    assert world.b.user("coordinator").email not in html  # only the reporter's own cell
    assert "appelez le 17" in html
    assert actions()[-1] == "referral.submit.not_certified"


def test_lapsed_certification_is_named_on_the_refusal(world):
    from cmer.training.gate import refusal_context

    today = timezone.localdate()
    make_certification(
        world.a,
        world.a.user("reporter"),
        issued_on=today - timedelta(days=731),
        expires_on=today - timedelta(days=1),
    )
    gate = refusal_context(world.a.members["reporter"])
    assert gate["lapsed"].expires_on == today - timedelta(days=1)


# --- catalogue versions ------------------------------------------------------------------------


def test_draft_is_a_full_copy_of_the_current_version_and_is_audited(world):
    v1 = CatalogueVersion.objects.current()
    draft = ensure_draft(world.a)
    assert draft.number == v1.number + 1 and draft.status == CatalogueStatus.DRAFT and draft.based_on == v1
    assert draft.indicators.count() == v1.indicators.count() > 0
    assert draft.domains.count() == v1.domains.count()
    assert draft.caveats.count() == v1.caveats.count()
    assert set(draft.indicators.values_list("code", "label", "signal")) == set(
        v1.indicators.values_list("code", "label", "signal")
    )
    assert not set(draft.indicators.values_list("pk", flat=True)) & set(
        v1.indicators.values_list("pk", flat=True)
    )
    assert ensure_draft(world.a) == draft  # one draft at a time
    assert actions().count("catalogue.draft_created") == 1


def test_trainer_edits_a_draft_item_through_the_page(world):
    draft = ensure_draft(world.a)
    item = draft.indicators.get(code="RUP-S4")
    client = persona_client(world, "trainer")
    url = reverse("training:draft_indicator")
    assert client.get(url, {"pk": item.pk}).status_code == 200
    response = client.post(
        url,
        {
            "pk": item.pk,
            "domain": item.domain_id,
            "code": "RUP-S4",
            "label": "Intérêt soudain et nouveau pour les armes",
            "signal": "strong",
            "description": "Recherche ou acquisition d'armes apparue récemment.",
            "examples": "Demande à un camarade comment se procurer une arme.",
            "order": 3,
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.label == "Intérêt soudain et nouveau pour les armes"
    event = AuditEvent.objects.filter(action="catalogue.indicator_saved").get()
    assert event.data == {"version": draft.number, "code": "RUP-S4"}


@pytest.mark.parametrize(
    ("label", "description", "shown"),
    [
        ("Port du voile", "La personne porte le voile intégral.", "voile"),
        ("Fréquentation de la mosquée", "Se rend à la mosquée chaque jour.", "mosquée"),
        ("Famille monoparentale", "Élevé par sa mère seule.", "monoparentale"),
        ("Origine étrangère", "Personne d'origine tchétchène.", "d&#x27;origine tchétchène"),
        ("Troubles psychiatriques", "Suivi pour schizophrénie.", "psychiatriques"),
        ("Militantisme d'extrême gauche", "Se dit anarchiste.", "extrême gauche"),
    ],
)
def test_draft_page_refuses_discriminatory_items_with_the_reason(world, label, description, shown):
    draft = ensure_draft(world.a)
    before = draft.indicators.count()
    client = persona_client(world, "trainer")
    response = client.post(
        reverse("training:draft_indicator"),
        {
            "domain": draft.domains.first().pk,
            "code": "RUP-X9",
            "label": label,
            "signal": "weak",
            "description": description,
            "order": 9,
        },
    )
    assert response.status_code == 400
    assert "comportement observable" in page(response)
    assert shown in page(response)
    assert draft.indicators.count() == before


def test_a_behavioural_item_is_added(world):
    draft = ensure_draft(world.a)
    client = persona_client(world, "trainer")
    response = client.post(
        reverse("training:draft_indicator"),
        {
            "domain": draft.domains.get(code="TEC").pk,
            "code": "TEC-W2",
            "label": "Usage nouveau de messageries chiffrées éphémères",
            "signal": "weak",
            "description": "Passe soudainement à des messageries à messages éphémères.",
            "examples": "Refuse désormais tout autre moyen de contact.",
            "order": 30,
        },
    )
    assert response.status_code == 302
    assert draft.indicators.filter(code="TEC-W2").exists()


def test_approved_versions_never_change(world):
    v1 = CatalogueVersion.objects.current()
    item = v1.indicators.first()
    with pytest.raises(services.TrainingError):
        services.catalogue_indicator_save(
            draft=v1,
            indicator=item,
            values={
                "domain": item.domain,
                "code": item.code,
                "label": "x",
                "signal": "weak",
                "description": "y",
                "examples": "",
                "order": 0,
            },
            by=world.a.members["trainer"],
        )
    client = persona_client(world, "trainer")
    # An approved version's item is not reachable through the draft pages: 404.
    ensure_draft(world.a)
    assert client.get(reverse("training:draft_indicator"), {"pk": item.pk}).status_code == 404


def test_approving_an_empty_version_is_refused_with_a_clear_message(world):
    draft = CatalogueVersion.objects.create(number=7, status=CatalogueStatus.DRAFT)
    client = persona_client(world, "coordinator")
    response = client.post(reverse("training:draft_approve"), {"reviewed": "on"}, follow=True)
    assert "Une version vide ne peut pas être approuvée" in page(response)
    draft.refresh_from_db()
    assert draft.status == CatalogueStatus.DRAFT
    assert CatalogueVersion.objects.current().number == 1


def test_approval_requires_the_explicit_review(world):
    ensure_draft(world.a)
    client = persona_client(world, "coordinator")
    response = client.post(reverse("training:draft_approve"), {}, follow=True)
    assert "Cochez la case" in page(response)
    assert CatalogueVersion.objects.current().number == 1


def test_approval_refuses_a_draft_with_a_forbidden_item_added_behind_the_form(world):
    draft = ensure_draft(world.a)
    Indicator.objects.create(
        version=draft,
        domain=draft.domains.first(),
        code="BAD-1",
        label="Conversion à l'islam",
        signal="weak",
        description="x",
    )
    with pytest.raises(services.TrainingError, match="BAD-1"):
        services.catalogue_approve(version=draft, by=world.a.members["coordinator"])


def test_only_the_coordinator_approves_and_trainers_do_not(world):
    ensure_draft(world.a)
    trainer = persona_client(world, "trainer")
    assert trainer.post(reverse("training:draft_approve"), {"reviewed": "on"}).status_code == 403
    assert CatalogueVersion.objects.current().number == 1


def test_observation_made_under_v1_still_shows_its_indicator_after_v2(world):
    referral = make_referral(world.a, observations=1)
    observation = referral.observations.get()
    v1_item = observation.indicator
    v1_label = v1_item.label
    # v2: the same item is reworded, then approved.
    draft = ensure_draft(world.a)
    v2_item = draft.indicators.get(code=v1_item.code)
    services.catalogue_indicator_save(
        draft=draft,
        indicator=v2_item,
        values={
            "domain": v2_item.domain,
            "code": v2_item.code,
            "label": "Libellé reformulé en v2",
            "signal": v2_item.signal,
            "description": v2_item.description,
            "examples": v2_item.examples,
            "order": v2_item.order,
        },
        by=world.a.members["trainer"],
    )
    client = persona_client(world, "coordinator")
    response = client.post(reverse("training:draft_approve"), {"reviewed": "on"})
    assert response.status_code == 302
    v1 = CatalogueVersion.objects.get(number=1)
    assert v1.status == CatalogueStatus.SUPERSEDED
    assert CatalogueVersion.objects.current() == draft
    assert {"catalogue.approved", "catalogue.superseded"} <= set(actions())

    observation.refresh_from_db()
    assert observation.indicator_id == v1_item.pk and observation.indicator.label == v1_label
    assert observation.indicator.version.number == 1
    detail = client.get(reverse("cases:detail", kwargs={"pk": referral.case_id}))
    assert detail.status_code == 200
    assert v1_label in page(detail) and "Libellé reformulé en v2" not in page(detail)
    # Older versions stay readable; the current one shows the new wording.
    old = client.get(reverse("training:self_study"), {"version": 1})
    assert v1_label in page(old)
    assert "Libellé reformulé en v2" in page(client.get(reverse("training:self_study")))


def test_self_study_shows_caveats_and_examples_to_every_role(world):
    v1 = CatalogueVersion.objects.current()
    for role in ("reporter", "guest", "dpo", "state_member"):
        html = page(persona_client(world, role).get(reverse("training:self_study")))
        assert "la pratique religieuse" in html.lower()
        assert "conversion" in html.lower()
        assert v1.indicators.first().examples.split(" ;")[0] in html
    assert (
        persona_client(world, "reporter").get(reverse("training:self_study"), {"version": 99}).status_code
        == 404
    )


def test_draft_is_not_readable_by_reporters(world):
    draft = ensure_draft(world.a)
    client = persona_client(world, "reporter")
    assert client.get(reverse("training:draft")).status_code == 403
    assert client.get(reverse("training:self_study"), {"version": draft.number}).status_code == 404


# --- sessions, attendance, certifications ----------------------------------------------------


def test_trainer_creates_a_session_for_their_cell(world):
    client = persona_client(world, "trainer")
    response = client.post(
        reverse("training:session_create"),
        {
            "provider": make_provider().pk,
            "title": "Repérer sans stigmatiser",
            "date": timezone.localdate().isoformat(),
            "place": "Salle des fêtes",
            "programme": "Faisceau d'indicateurs ; mises en garde ; cas pratiques.",
            "audience": [world.a.cell.pk],
        },
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert list(session.audience.all()) == [world.a.cell]
    assert session.catalogue_version == CatalogueVersion.objects.current()
    assert "training.session_created" in actions()


def test_session_of_another_cell_cannot_be_chosen_as_audience(world):
    client = persona_client(world, "trainer")
    response = client.post(
        reverse("training:session_create"),
        {
            "provider": make_provider().pk,
            "title": "S",
            "date": "2026-12-01",
            "place": "P",
            "programme": "x",
            "audience": [world.b.cell.pk],
        },
    )
    assert response.status_code == 400
    assert not TrainingSession.objects.exists()


def test_duplicate_attendee_gets_a_clear_message(world):
    session = make_session(world.a)
    client = persona_client(world, "trainer")
    url = reverse("training:attendance_add", kwargs={"pk": session.pk})
    reporter = world.a.members["reporter"]
    assert client.post(url, {"attendee": public_id("membership", reporter.pk)}).status_code == 302
    again = client.post(url, {"attendee": public_id("membership", reporter.pk)})
    assert again.status_code == 400
    assert "déjà inscrite comme présente" in page(again)
    assert Attendance.objects.filter(session=session).count() == 1
    assert actions().count("training.attendance_recorded") == 1


def test_attendee_from_another_cell_is_not_offered(world):
    session = make_session(world.a)
    client = persona_client(world, "trainer")
    response = client.post(
        reverse("training:attendance_add", kwargs={"pk": session.pk}),
        {"attendee": public_id("membership", world.b.members["reporter"].pk)},
    )
    assert response.status_code == 400
    assert not Attendance.objects.exists()


def test_certification_defaults_to_two_years_and_is_audited(world):
    session = session_with_attendee(world.a)
    client = persona_client(world, "trainer")
    today = timezone.localdate()
    response = client.post(
        reverse("training:certification_issue", kwargs={"pk": session.pk}),
        {"attendee": public_id("user", world.a.user("reporter").pk), "issued_on": today.isoformat()},
    )
    assert response.status_code == 302
    cert = Certification.objects.get()
    assert cert.issued_on == today
    assert cert.expires_on == services.default_expiry(today)
    assert (cert.expires_on - today).days in (730, 731)
    assert cert.issued_by == world.a.members["trainer"]
    event = AuditEvent.objects.get(action="training.certification_issued")
    assert event.data == {"user": world.a.user("reporter").pk, "session": session.pk}
    assert has_valid_certification(world.a.members["reporter"])


@pytest.mark.parametrize(
    ("issued", "expires", "message"),
    [
        (-1, None, "ne peut pas être antidatée"),
        (0, -1, "La date d&#x27;expiration doit être postérieure"),
        (0, 0, "La date d&#x27;expiration doit être postérieure"),
    ],
)
def test_certification_in_the_past_is_refused_with_a_clear_message(world, issued, expires, message):
    session = session_with_attendee(world.a)
    session.date = timezone.localdate() - timedelta(days=5)
    session.save()
    today = timezone.localdate()
    data = {
        "attendee": public_id("user", world.a.user("reporter").pk),
        "issued_on": (today + timedelta(days=issued)).isoformat(),
    }
    if expires is not None:
        data["expires_on"] = (today + timedelta(days=expires)).isoformat()
    client = persona_client(world, "trainer")
    response = client.post(reverse("training:certification_issue", kwargs={"pk": session.pk}), data)
    assert response.status_code == 400
    assert message in page(response)
    assert not Certification.objects.exists()


def test_certification_before_the_session_or_without_attendance_is_refused(world):
    trainer = world.a.members["trainer"]
    future = make_session(world.a, on=timezone.localdate() + timedelta(days=10))
    make_attendance(world.a, world.a.user("reporter"), future)
    with pytest.raises(services.TrainingError, match="précéder la session"):
        services.certification_issue(
            session=future,
            user=world.a.user("reporter"),
            issued_on=timezone.localdate(),
            expires_on=None,
            by=trainer,
        )
    with pytest.raises(services.TrainingError, match="présente à la session"):
        services.certification_issue(
            session=make_session(world.a),
            user=world.a.user("member"),
            issued_on=timezone.localdate(),
            expires_on=None,
            by=trainer,
        )


def test_quiz_required_setting_gates_certification(world):
    TrainingPolicy.objects.create(quiz_required=True, quiz_pass_mark=5)
    session = session_with_attendee(world.a)
    reporter = world.a.user("reporter")
    issue = {
        "session": session,
        "user": reporter,
        "issued_on": timezone.localdate(),
        "expires_on": None,
        "by": world.a.members["trainer"],
    }
    with pytest.raises(services.TrainingError, match="quiz"):
        services.certification_issue(**issue)
    client = persona_client(world, "reporter")
    from cmer.training.quiz import QUESTIONS

    client.post(reverse("training:quiz"), {q.key: q.answer for q in QUESTIONS})
    assert QuizResult.objects.get(user=reporter).passed
    assert services.certification_issue(**issue).pk


def test_a_failed_quiz_is_recorded_as_not_passed(world):
    client = persona_client(world, "member")
    from cmer.training.quiz import QUESTIONS

    answers = {q.key: q.choices[0][0] for q in QUESTIONS}  # "yes" / first choice: mostly wrong
    response = client.post(reverse("training:quiz"), answers, follow=True)
    result = QuizResult.objects.get(user=world.a.user("member"))
    assert not result.passed and result.correct < result.questions
    assert "relisez les mises en garde" in page(response)


def test_trainer_revokes_a_certification(world):
    cert = make_certification(world.a, world.a.user("reporter"))
    client = persona_client(world, "trainer")
    assert client.post(reverse("training:certification_revoke", kwargs={"pk": cert.pk})).status_code == 302
    assert not has_valid_certification(world.a.members["reporter"])
    assert "training.certification_revoked" in actions()


# --- expiry: notifications and the list ------------------------------------------------------


def test_expiry_notification_30_days_before_is_idempotent(world):
    today = timezone.localdate()
    soon = make_certification(
        world.a,
        world.a.user("reporter"),
        issued_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=20),
    )
    make_certification(
        world.a,
        world.a.user("member"),
        issued_on=today - timedelta(days=100),
        expires_on=today + timedelta(days=200),
    )
    call_command("notify_expiring_certifications")
    call_command("notify_expiring_certifications")
    notes = Notification.objects.filter(kind=CERTIFICATION_EXPIRING)
    assert [n.recipient_id for n in notes] == [world.a.user("reporter").pk]
    assert (notes.get().target_type, notes.get().target_id) == ("training.certification", soon.pk)
    assert "reporter" not in notes.get().link and str(soon.user_id) not in notes.get().link
    soon.refresh_from_db()
    assert soon.expiry_notified_at is not None


def test_no_expiry_notice_when_already_renewed(world):
    today = timezone.localdate()
    user = world.a.user("reporter")
    make_certification(
        world.a, user, issued_on=today - timedelta(days=700), expires_on=today + timedelta(days=10)
    )
    make_certification(world.a, user)  # a new session: renewed for two years
    assert services.expiring_certifications_notify() == 0
    assert not Notification.objects.exists()


def test_expiring_list_for_coordinator_and_trainer(world):
    today = timezone.localdate()
    make_certification(
        world.a,
        world.a.user("reporter"),
        issued_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=15),
    )
    make_certification(world.a, world.a.user("member"))  # not expiring soon
    make_certification(
        world.b,
        world.b.user("reporter"),
        issued_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=15),
    )
    for role in ("coordinator", "trainer"):
        html = page(persona_client(world, role).get(reverse("training:expiring")))
        assert "Reporter AAA" in html
        assert "Member AAA" not in html
        assert "Reporter BBB" not in html


def test_expiring_list_does_not_reveal_a_membership_of_another_cell(world):
    """A member of cell A also trained through cell B: cell A's staff never learn of cell B.

    The certification issued through cell B names cell B's session; showing it (or counting it)
    in cell A would tell cell A's trainer that this person belongs to cell B.
    """
    from django.test import Client

    from tests.personas import login, make_membership

    today = timezone.localdate()
    member = world.a.members["member"]
    make_membership(member.user, world.b.cell, "member")
    certification = make_certification(
        world.b, member.user, issued_on=today - timedelta(days=700), expires_on=today + timedelta(days=15)
    )
    TrainingSession.objects.filter(pk=certification.session_id).update(title="Session réservée Beta")
    for role in ("coordinator", "trainer"):
        client = persona_client(world, role)
        html = page(client.get(reverse("training:expiring")))
        assert "Session réservée Beta" not in html
        assert "Member AAA" not in html
        dashboard = page(client.get(reverse("core:dashboard")))
        assert "Session réservée Beta" not in dashboard
        revoke = client.post(reverse("training:certification_revoke", kwargs={"pk": certification.pk}))
        assert revoke.status_code == 404
    # Cell B's own staff still see it, with its session.
    trainer_b = world.b.members["trainer"]
    html = page(login(Client(), trainer_b.user, trainer_b).get(reverse("training:expiring")))
    assert "Session réservée Beta" in html and "Member AAA" in html


def test_expiring_widget_counts_only_the_cells_own_certifications(world):
    from cmer.training.widgets import expiring_widget
    from tests.personas import make_membership

    today = timezone.localdate()
    member = world.a.members["member"]
    make_membership(member.user, world.b.cell, "member")
    make_certification(world.b, member.user, issued_on=today, expires_on=today + timedelta(days=15))
    assert expiring_widget(None, world.a.members["trainer"])["count"] == 0  # type: ignore[arg-type,index]
    assert expiring_widget(None, world.b.members["trainer"])["count"] == 1  # type: ignore[arg-type,index]


# --- bias counts and the trainer's need-to-know ----------------------------------------------


def test_bias_counts_are_shown_to_trainers_without_text(world):
    services.bias_warnings_count(codes=["judgement", "religion", "judgement"], confirmed=False)
    services.bias_warnings_count(codes=["judgement"], confirmed=True)
    row = BiasWarningCount.objects.get(code="judgement")
    assert (row.shown, row.confirmed) == (1, 1)
    html = page(persona_client(world, "trainer").get(reverse("training:bias_counts")))
    assert "un jugement sur la personne" in html and "une religion" in html
    # The monthly table names the category as the totals do, never by its code.
    assert html.count("un jugement sur la personne") == 2 and "judgement" not in html


def test_trainer_sees_no_personal_case_data(world):
    referral = make_referral(world.a)
    trainer = world.a.members["trainer"]
    assert not Case.objects.visible_to(trainer).exists()
    assert not Referral.objects.visible_to(trainer).exists()
    client = persona_client(world, "trainer")
    assert client.get(reverse("cases:detail", kwargs={"pk": referral.case_id})).status_code == 404
    assert client.get(reverse("cases:list")).status_code in (403, 404)
    # The trainer's own pages never show people of the cases.
    for name in ("training:sessions", "training:expiring", "training:bias_counts", "training:draft"):
        html = page(client.get(reverse(name)))
        assert referral.reference not in html


def test_demo_training_data_is_idempotent_and_shows_the_gate():
    from faker import Faker

    from cmer.accounts import demo as accounts_demo
    from cmer.accounts.models import Membership
    from cmer.training import demo

    faker = Faker("fr_FR")
    accounts_demo.seed(faker)
    demo.seed(faker)
    demo.seed(faker)
    assert TrainingSession.objects.count() == 2
    assert Certification.objects.count() == 3

    def member(role, code):  # type: ignore[no-untyped-def]
        return Membership.objects.get(role=role, cell__code=code)

    assert has_valid_certification(member("reporter", "MIR"))
    assert has_valid_certification(member("member", "MIR"))
    assert not has_valid_certification(member("member", "IST"))
    assert services.expiring_certifications_notify() == 1  # Istres' reporter, three weeks left


# --- robustness: query counts, mass assignment, bad input ----------------------------------


def _sessions_queries(world, n):  # type: ignore[no-untyped-def]
    for _ in range(n):
        session_with_attendee(world.a)
    client = persona_client(world, "trainer")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("training:sessions")).status_code == 200
    return len(ctx.captured_queries)


def test_session_list_query_count_does_not_grow_with_sessions(world):
    few = _sessions_queries(world, 1)
    many = _sessions_queries(world, 6)
    assert many == few


def test_expiring_list_query_count_is_constant(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()
    client = persona_client(world, "coordinator")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("training:expiring"))
        return len(ctx.captured_queries)

    make_certification(
        world.a, world.a.user("reporter"), issued_on=today, expires_on=today + timedelta(days=9)
    )
    one = count()
    for role in ("member", "president", "guest"):
        make_certification(world.a, world.a.user(role), issued_on=today, expires_on=today + timedelta(days=9))
    assert count() == one


def test_extra_posted_fields_change_nothing(world):
    draft = ensure_draft(world.a)
    item = draft.indicators.get(code="RUP-S1")
    v1 = CatalogueVersion.objects.get(number=1)
    client = persona_client(world, "trainer")
    client.post(
        reverse("training:draft_indicator"),
        {
            "pk": item.pk,
            "domain": item.domain_id,
            "code": item.code,
            "label": item.label,
            "signal": item.signal,
            "description": item.description,
            "order": 0,
            "version": v1.pk,
            "status": "approved",
            "approved_by": world.a.user("trainer").pk,
        },
    )
    item.refresh_from_db()
    draft.refresh_from_db()
    assert item.version == draft and draft.status == CatalogueStatus.DRAFT and draft.approved_by is None
    session = make_session(world.a)
    client.post(
        reverse("training:certification_issue", kwargs={"pk": session.pk}),
        {
            "attendee": public_id("user", world.a.user("trainer").pk),
            "issued_on": timezone.localdate().isoformat(),
            "cell": world.b.cell.pk,
        },
    )
    assert not Certification.objects.exists()  # the trainer did not attend: not offered


@pytest.mark.parametrize(
    "field, value",
    [("title", "Session\x00piégée"), ("title", "x" * 500), ("date", "31/02/2026"), ("programme", "")],
)
def test_bad_session_input_gets_a_message_not_a_500(world, field, value):
    data = {
        "provider": make_provider().pk,
        "title": "S",
        "date": "2026-12-01",
        "place": "P",
        "programme": "x",
        "audience": [world.a.cell.pk],
    }
    data[field] = value
    response = persona_client(world, "trainer").post(reverse("training:session_create"), data)
    assert response.status_code == 400
    assert "fr-error-text" in page(response) or "fr-message--error" in page(response)
    assert not TrainingSession.objects.exists()


def test_unknown_ids_in_draft_pages_are_404_not_500(world):
    ensure_draft(world.a)
    client = persona_client(world, "trainer")
    assert client.get(reverse("training:draft_indicator"), {"pk": "abc"}).status_code == 404
    assert client.get(reverse("training:draft_caveat"), {"pk": "999999"}).status_code == 404
    assert client.post(reverse("training:draft_delete"), {"kind": "indicator"}).status_code == 404


def test_gate_decorator_explains_and_never_lets_through(world, rf):
    from django.http import HttpResponse

    from cmer.training.gate import explain_certification_gate

    calls = []

    @explain_certification_gate
    def view(request):  # type: ignore[no-untyped-def]
        calls.append(request.membership.role)
        return HttpResponse("form")

    def request_for(role):  # type: ignore[no-untyped-def]
        request = rf.get("/signalements/nouveau/")
        request.user, request.membership, request.csp_nonce = world.a.user(role), world.a.members[role], "n"
        return request

    refused = view(request_for("reporter"))
    assert refused.status_code == 403 and "Habilitation requise" in refused.content.decode()
    assert calls == []
    assert view(request_for("coordinator")).content == b"form"  # no certification needed
    make_certification(world.a, world.a.user("reporter"))
    assert view(request_for("reporter")).content == b"form"
    assert calls == ["coordinator", "reporter"]


def test_dashboard_widgets(world):
    today = timezone.localdate()
    make_certification(
        world.a, world.a.user("member"), issued_on=today, expires_on=today + timedelta(days=10)
    )
    coordinator = page(persona_client(world, "coordinator").get(reverse("core:dashboard")))
    assert "1 habilitation expire dans les 60 prochains jours." in coordinator
    reporter = page(persona_client(world, "reporter").get(reverse("core:dashboard")))
    assert "pas d'habilitation en cours" in html.unescape(reporter)
    # The card leads to the training page, which says how one is certified (the menu has it too).
    card = reporter.split("Habilitation</h2>", 1)[1].split('<div class="fr-card ', 1)[0]
    assert f'href="{reverse("training:self_study")}"' in card
    member = page(persona_client(world, "member").get(reverse("core:dashboard")))
    assert "Habilitation à signaler valable jusqu" in member
    assert "habilitations à renouveler" not in page(
        persona_client(world, "guest").get(reverse("core:dashboard"))
    )
    # None expiring in cell B: said in words, not « 0 habilitations expirent ».
    other = page(login(Client(), world.b.user("coordinator"), world.b.members["coordinator"]).get("/"))
    assert "Aucune habilitation n'expire dans les 60 prochains jours." in html.unescape(other)
    assert "0 habilitation" not in other


def test_draft_page_shows_the_approver_what_changed(world):
    draft = ensure_draft(world.a)
    item = draft.indicators.get(code="RUP-S3")
    item.label = "Changement brutal des centres d'intérêt"
    item.save()
    draft.indicators.get(code="RUP-W6").delete()
    Indicator.objects.create(
        version=draft,
        domain=draft.domains.get(code="TEC"),
        code="TEC-W9",
        label="Nouvel item",
        signal="weak",
        description="Comportement observable.",
    )
    html = page(persona_client(world, "coordinator").get(reverse("training:draft")))
    assert html.count(">modifié<") == 1 and html.count(">nouveau<") == 1
    assert "Indicateurs retirés" in html and "RUP-W6 — Privation de sommeil" in html


def test_expiry_command_time_travel_and_task(world):
    from io import StringIO

    from cmer.training.tasks import notify_expiring_certifications

    today = timezone.localdate()
    make_certification(
        world.a, world.a.user("reporter"), issued_on=today, expires_on=today + timedelta(days=100)
    )
    out = StringIO()
    call_command("notify_expiring_certifications", stdout=out)
    assert out.getvalue().strip() == "0 notification(s)"
    later = (today + timedelta(days=75)).isoformat()
    call_command("notify_expiring_certifications", today=later, stdout=out)
    assert Notification.objects.filter(recipient=world.a.user("reporter")).count() == 1
    assert notify_expiring_certifications.call(today=later) == 0  # the task reruns safely


@pytest.mark.parametrize(
    ("role", "name", "with_pk"),
    [
        ("reporter", "training:self_study", False),
        ("trainer", "training:draft", False),
        ("coordinator", "training:draft", False),
        ("trainer", "training:sessions", False),
        ("trainer", "training:session_detail", True),
        ("coordinator", "training:expiring", False),
        ("trainer", "training:bias_counts", False),
        ("trainer", "training:draft_indicator", False),
    ],
)
def test_training_pages_stay_within_15_queries(world, role, name, with_pk):
    """docs/performance.md P2: at most 15 queries per page (middleware, audit and menu included)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = session_with_attendee(world.a)
    make_certification(world.a, world.a.user("member"))
    ensure_draft(world.a)
    client = persona_client(world, role)
    client.get(reverse("core:healthz"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(name, kwargs={"pk": session.pk} if with_pk else None))
    assert response.status_code == 200
    assert len(ctx.captured_queries) <= 15, [q["sql"][:80] for q in ctx.captured_queries]


def test_trainer_edits_domains_and_caveats_audited(world):
    draft = ensure_draft(world.a)
    client = persona_client(world, "trainer")
    domain = draft.domains.get(code="TEC")
    ok = client.post(
        reverse("training:draft_domain"),
        {"pk": domain.pk, "code": "TEC", "name": "Techniques et moyens", "description": "", "order": 3},
    )
    assert ok.status_code == 302
    refused = client.post(
        reverse("training:draft_domain"),
        {"code": "REL", "name": "Pratique religieuse", "description": "", "order": 9},
    )
    assert refused.status_code == 400 and "comportement observable" in page(refused)
    caveat = draft.caveats.first()
    client.post(
        reverse("training:draft_caveat"), {"text": "Un fait isolé ne suffit pas.", "source": "", "order": 9}
    )
    client.post(reverse("training:draft_delete"), {"kind": "caveat", "pk": caveat.pk})
    assert draft.caveats.filter(text="Un fait isolé ne suffit pas.").exists()
    assert not draft.caveats.filter(pk=caveat.pk).exists()
    assert {"catalogue.domain_saved", "catalogue.caveat_saved", "catalogue.caveat_deleted"} <= set(actions())
    domain.refresh_from_db()
    assert domain.name == "Techniques et moyens"
