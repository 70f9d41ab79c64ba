"""Urgency first, the reporter's receipt, the grouped menu and account page, grouped notifications.

Issue 11 items 1, 7, 9 and 10 (the statistics of item 11 are in tests/test_stats.py). The
personas world is reused; each test is one behaviour a user meets.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.cases.models import Case
from cmer.cases.services import case_open
from cmer.cases.states import State
from cmer.notifications.models import Notification
from cmer.notifications.services import notify
from cmer.referrals.notifications import URGENT_REFERRAL
from tests.factories import certify, make_case, make_person, make_referral
from tests.matrix_referrals import referral_post_data
from tests.personas import persona_client

pytestmark = pytest.mark.django_db


def _urgent_case(cw):  # type: ignore[no-untyped-def]
    return case_open(person=make_person(cw.cell), by=cw.members["coordinator"], urgent=True)


# --- Item 1: urgency ----------------------------------------------------------------------------


def test_urgent_case_is_due_within_the_setting_and_comes_first_with_its_badge(world, settings):
    settings.CMER_URGENT_PREQUALIFICATION_HOURS = 6
    urgent = _urgent_case(world.a)
    # Opened after it and already overdue: first by date and by opening, so only urgency wins.
    ordinary = make_case(world.a, prequalification_due=timezone.localdate() - timedelta(days=1))
    assert urgent.prequalification_due_at is not None
    assert abs(urgent.prequalification_due_at - (timezone.now() + timedelta(hours=6))) < timedelta(minutes=1)
    assert ordinary.prequalification_due_at is None
    fresh = make_case(world.b)  # the cell's ordinary deadline, in days
    assert fresh.prequalification_due == timezone.localdate() + timedelta(
        days=world.b.cell.prequalification_days
    )

    client = persona_client(world, "coordinator")
    for url in (reverse("cases:queue"), reverse("cases:list")):
        html = client.get(url).content.decode()
        assert html.index(urgent.reference) < html.index(ordinary.reference), url
        row = html[html.index(urgent.reference) : html.index(ordinary.reference)]
        assert "Danger imminent" in row and "fr-badge--error" in row

    # Overdue once its hours have passed, though its date is still today or tomorrow.
    Case.objects.filter(pk=urgent.pk).update(prequalification_due_at=timezone.now() - timedelta(minutes=1))
    assert Case.objects.get(pk=urgent.pk).prequalification_overdue


def test_urgent_card_lists_cases_to_managers_and_only_a_count_to_the_state_member(world):
    urgent = _urgent_case(world.a)
    _urgent_case(world.b)  # another cell's: never counted
    dashboard = reverse("core:dashboard")
    for role in ("coordinator", "president"):
        html = persona_client(world, role).get(dashboard).content.decode()
        assert "1 signalement urgent attend sa pré-qualification" in html
        assert reverse("cases:qualify", kwargs={"pk": urgent.pk}) in html
        # The card comes before every other card.
        assert html.index("Danger imminent") < html.index("À qualifier</h2>")
    state = persona_client(world, "state_member").get(dashboard).content.decode()
    assert "1 signalement urgent attend sa pré-qualification" in state
    assert urgent.reference not in state and "/qualifier/" not in state
    for role in ("member", "reporter", "dpo", "trainer"):
        assert "signalement urgent" not in persona_client(world, role).get(dashboard).content.decode()
    Case.objects.filter(pk=urgent.pk).update(state=State.TO_REVIEW)
    assert (
        "Aucun signalement urgent en attente"
        in persona_client(world, "state_member").get(dashboard).content.decode()
    )


def test_urgent_notification_says_so_and_names_the_case_only_to_who_may_read_it(world):
    urgent = _urgent_case(world.a)
    users = [world.a.user(r) for r in ("coordinator", "state_member")]
    notify(recipients=users, kind=URGENT_REFERRAL, cell=world.a.cell, target=urgent)
    for role, sees_reference in (("coordinator", True), ("state_member", False)):
        html = persona_client(world, role).get(reverse("notifications:inbox")).content.decode()
        assert "Urgent : danger imminent" in html
        assert "Un signalement urgent (danger imminent) a été reçu par votre cellule." in html
        assert (urgent.reference in html) is sees_reference, role
    # Opening it never lands on a page refused to the recipient: the dashboard and its card.
    assert Notification.objects.filter(kind=URGENT_REFERRAL).first().link == reverse("core:dashboard")


# --- Item 7: the reporter's receipt ---------------------------------------------------------------


def test_reporter_opens_a_read_only_receipt_with_a_coarse_status_never_the_outcome(world):
    referral = make_referral(world.a, description="Absent trois lundis de suite.")
    client = persona_client(world, "reporter")
    mine = client.get(reverse("referrals:mine")).content.decode()
    receipt_url = reverse("referrals:acknowledgement", kwargs={"pk": referral.pk})
    assert receipt_url in mine and reverse("referrals:submit") in mine
    html = client.get(receipt_url).content.decode()
    assert referral.reference in html and "Absent trois lundis de suite." in html
    assert "Fait constaté le jour même." in html and ">reçu<" in html
    assert "<form" not in html.split('id="content"')[1].split("</main>")[0]  # read-only
    assert AuditEvent.objects.filter(action="referral.receipt_read", target_id=str(referral.pk)).exists()
    Case.objects.filter(pk=referral.case_id).update(state=State.DISMISSED)
    html = client.get(receipt_url).content.decode()
    assert ">traité<" in html and str(State.DISMISSED.label) not in html
    # Need-to-know: the coordinator, who reads the case, does not open the reporter's receipt.
    assert persona_client(world, "coordinator").get(receipt_url).status_code == 404


def test_reporter_dashboard_offers_signaler_and_17_is_a_phone_link(world):
    certify(world.a, "reporter")
    client = persona_client(world, "reporter")
    assert reverse("referrals:submit") in client.get(reverse("core:dashboard")).content.decode()
    assert 'href="tel:17"' in client.get(reverse("referrals:submit")).content.decode()


def test_the_bias_confirmation_is_not_labelled_optional_once_required(world):
    certify(world.a, "reporter")
    data = referral_post_data() | {"description": "Un comportement inquiétant."}
    html = persona_client(world, "reporter").post(reverse("referrals:submit"), data).content.decode()
    label = html[html.index('for="id_bias_confirmed"') :][:400]
    assert "Je confirme que ce texte décrit un fait observé" in label
    assert "ptionnel" not in label


# --- Item 9: the grouped menu and the account page ------------------------------------------------


def test_coordinator_menu_is_grouped_by_domain_with_the_current_section_marked(world):
    html = persona_client(world, "coordinator").get(reverse("cases:queue")).content.decode()
    nav = html[html.index('class="fr-nav"') : html.index("</nav>", html.index('class="fr-nav"'))]
    buttons = [chunk.split(">", 1)[1].split("<", 1)[0] for chunk in nav.split('class="fr-nav__btn"')[1:]]
    assert buttons == ["Signalements", "État", "Formation", "Données &amp; DPO", "Cellule"]
    assert nav.count('class="fr-nav__item"') == 8  # dashboard, 5 sub-menus, Situations, Réunions
    section = nav[nav.index(">Signalements<") - 200 : nav.index(">Signalements<")]
    assert 'aria-current="true"' in section
    assert f'href="{reverse("cases:queue")}" aria-current="page"' in nav
    # A detail page marks its section too (the longest menu URL it is under).
    case = make_case(world.a)
    html = (
        persona_client(world, "coordinator")
        .get(reverse("cases:detail", kwargs={"pk": case.pk}))
        .content.decode()
    )
    assert f'href="{reverse("cases:list")}" aria-current="page"' in html


def test_user_chip_links_to_the_account_page(world):
    html = persona_client(world, "reporter").get(reverse("core:dashboard")).content.decode()
    assert f'href="{reverse("accounts:account")}"' in html
    account = persona_client(world, "reporter").get(reverse("accounts:account")).content.decode()
    assert reverse("accounts:password_change") in account and world.a.cell.name in account


def test_repeats_are_grouped_with_a_count_and_all_can_be_marked_read(world):
    case = make_case(world.a)
    coordinator = world.a.user("coordinator")
    for _ in range(3):
        notify(recipients=[coordinator], kind="referral_to_qualify", cell=world.a.cell, target=case)
    notify(recipients=[coordinator], kind="known_person", cell=world.a.cell, target=case)
    client = persona_client(world, "coordinator")
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert html.count("/ouvrir/") == 2 and "3 fois" in html
    assert html.count(case.reference) >= 2 and "Un signalement attend sa pré-qualification." in html
    response = client.post(reverse("notifications:mark_all_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=coordinator, read_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="notification.read_all").count() == 1
    assert "Tout marquer comme lu" not in client.get(reverse("notifications:inbox")).content.decode()
