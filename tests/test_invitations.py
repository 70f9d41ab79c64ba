"""Invitations, passwords and lost second factors (issue 14, items 4 and 5; docs/security.md).

E-mails go over real SMTP to a local aiosmtpd server (tests/test_smtp.py's fixture); links are
read from the received messages, as the person would click them.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cmer.accounts import services
from cmer.accounts.models import (
    BackupCodeDevice,
    FactorReset,
    Invitation,
    Membership,
    TOTPDevice,
    User,
    token_digest,
)
from cmer.accounts.roles import MANAGERS, PERSONAL_DATA_ROLES
from cmer.audit.models import AuditEvent
from cmer.core.errors import DomainError
from cmer.notifications.models import Notification
from tests.factories import make_person
from tests.personas import PASSWORD, make_cell, persona_client
from tests.test_auth import DASHBOARD, LOGIN, OTP_SETUP, OTP_VERIFY, full_login, key_token, post_password
from tests.test_smtp import smtp_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

MEMBERS = reverse("accounts:members")
RESET = reverse("accounts:password_reset")
NEW_PASSWORD = "une phrase de passe assez longue"
CANARY = "Zorglubinovitch"


def mails(server) -> list[tuple[list[str], str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for rcpt, raw in server.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        out.append((rcpt, str(message["Subject"]), message.get_body(preferencelist=("plain",)).get_content()))
    return out


def link_in(body: str) -> str:
    url = re.search(r"https?://\S+", body)
    assert url, body
    return url.group(0).removeprefix(settings.CMER_SITE_URL)


def events(action: str):  # type: ignore[no-untyped-def]
    return AuditEvent.objects.filter(action=action)


def invite(client: Client, address: str = "ines.vitee@mairie.test", role: str = "member"):  # type: ignore[no-untyped-def]
    data = {"email": address, "first_name": "Inès", "last_name": "Vitée", "role": role, "service": "CCAS"}
    return client.post(reverse("accounts:invitation_create"), data)


# --- invitations ------------------------------------------------------------------------------


def test_invitation_link_password_second_factor_charter_dashboard(world, smtp_server):  # noqa: F811
    make_person(world.a.cell, last_name=CANARY)  # a followed person: must never reach a mailbox
    coordinator = persona_client(world, "coordinator")
    assert invite(coordinator).url == MEMBERS
    ((rcpt, subject, body),) = mails(smtp_server)
    assert "Invitation" in subject
    assert rcpt == ["ines.vitee@mairie.test"] and "Alpha-ville" in body and CANARY not in body
    link = link_in(body)
    invitation = Invitation.objects.get()
    assert link.rsplit("/", 2)[-2] not in repr(list(Invitation.objects.values_list()))  # hash only

    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and "Alpha-ville" in page.content.decode()
    assert client.post(link, {"new_password1": "court", "new_password2": "court"}).status_code == 400
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == OTP_SETUP
    user = User.objects.get(email="ines.vitee@mairie.test")
    membership = Membership.objects.get(user=user, cell=world.a.cell, role="member", end_date=None)
    # Nothing else opens before the second factor is enrolled.
    assert client.get(DASHBOARD).url == OTP_SETUP
    client.get(OTP_SETUP)
    client.post(OTP_SETUP, {"token": key_token(client.session["cmer_totp_key"])})
    # Then the charter, then the dashboard.
    assert client.get(DASHBOARD).url == reverse("accounts:charter")
    charter = world.a.cell.current_charter()
    client.post(reverse("accounts:charter"), {"accept": "yes", "text_sha256": charter.text_sha256})
    assert client.get(DASHBOARD).status_code == 200
    assert membership.has_accepted_current_charter()

    invitation.refresh_from_db()
    assert invitation.state == "used" and invitation.membership == membership
    assert events("invitation.created").get().actor_id == world.a.user("coordinator").pk
    assert events("membership.created").filter(target_id=str(membership.pk)).get().actor_id == (
        world.a.user("coordinator").pk
    )
    assert events("invitation.accepted").get().actor_id == user.pk
    # Single use: the same link now gives the clear "already used" page.
    again = Client().get(link)
    assert again.status_code == 410 and "déjà été utilisée" in again.content.decode()


def test_expired_revoked_unknown_links_give_a_clear_page_and_resend_renews(world, smtp_server):  # noqa: F811
    coordinator = persona_client(world, "coordinator")
    invite(coordinator)
    first = link_in(mails(smtp_server)[0][2])
    invitation = Invitation.objects.get()

    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(first)
    assert response.status_code == 410 and "a expiré" in response.content.decode()

    coordinator.post(reverse("accounts:invitation_resend", kwargs={"pk": invitation.pk}))
    second = link_in(mails(smtp_server)[1][2])
    assert second != first
    assert Client().get(first).status_code == 410  # the old link died with the resend
    assert Client().get(second).status_code == 200
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(hours=71)

    coordinator.post(reverse("accounts:invitation_revoke", kwargs={"pk": invitation.pk}))
    response = Client().get(second)
    assert response.status_code == 410 and "révoquée" in response.content.decode()
    response = Client().post(second, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 410 and not User.objects.filter(email=invitation.email).exists()

    for bogus in ("x", "A" * 43, "A" * 500):
        response = Client().get(reverse("accounts:invitation", kwargs={"token": bogus}))
        assert response.status_code == 410 and "pas reconnu" in response.content.decode()


def test_existing_account_accepts_after_signing_in(world, smtp_server):  # noqa: F811
    outsider = world.outsider
    invite(persona_client(world, "president"), address=outsider.email.upper(), role="state_member")
    link = link_in(mails(smtp_server)[0][2])
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and page.context["existing"]
    full_login(client, outsider)
    assert client.post(link).url == DASHBOARD
    assert Membership.objects.get(user=outsider, cell=world.a.cell).role == "state_member"
    # Someone else, signed in, cannot take it.
    invite(persona_client(world, "president"), address="autre@mairie.test")
    other = persona_client(world, "member")
    other.post(link_in(mails(smtp_server)[1][2]))
    assert not Membership.objects.filter(user__email="autre@mairie.test").exists()


def test_invitation_refused_for_a_member_or_a_pending_address(world, smtp_server):  # noqa: F811
    coordinator = persona_client(world, "coordinator")
    assert invite(coordinator, address=world.a.user("member").email).status_code == 400
    assert invite(coordinator).status_code == 302
    assert invite(coordinator).status_code == 400  # already pending: resend or revoke instead
    assert Invitation.objects.count() == 1


ADMIN_ADD = reverse("admin:accounts_invitation_add")


def admin_invite(staff: Client, cell, role: str, address: str):  # type: ignore[no-untyped-def]
    data = {"cell": cell.pk, "role": role, "email": address, "first_name": "Paule", "last_name": "Maire"}
    return staff.post(ADMIN_ADD, {**data, "service": "Mairie"})


def accept_with_new_account(body: str) -> Membership:
    """The invited person follows the link in the e-mail and chooses a password."""
    link = link_in(body)
    response = Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == OTP_SETUP
    return Invitation.objects.get(token_digest=token_digest(link.rstrip("/").rsplit("/", 1)[-1])).membership


def test_platform_admin_invites_the_first_president(world, smtp_server):  # noqa: F811
    cell = make_cell("GGG", "Gamma-ville", "13003")  # no president, no coordinator yet
    staff = persona_client(world, "staff")
    assert staff.get(ADMIN_ADD).status_code == 200
    response = admin_invite(staff, cell, "president", "maire@gamma.test")
    assert response.status_code == 302, response.content.decode()[:2000]
    ((rcpt, _subject, body),) = mails(smtp_server)
    assert rcpt == ["maire@gamma.test"] and "Gamma-ville" in body
    invitation = Invitation.objects.get(email="maire@gamma.test")
    assert invitation.created_by == world.staff and invitation.role == "president"
    assert invitation.by_platform_admin
    assert events("invitation.created").get().actor_id == world.staff.pk
    # The admin offers the two manager roles only; nothing about the link is shown there.
    assert admin_invite(staff, cell, "member", "x@gamma.test").status_code == 200
    assert (
        invitation.token_digest
        not in staff.get(reverse("admin:accounts_invitation_changelist")).content.decode()
    )


def test_platform_admin_cannot_invite_itself_coordinator_of_a_cell_that_has_one(world, smtp_server):  # noqa: F811
    """docs/rules.md §2: the admin invites a cell's first president or coordinator only."""
    staff = persona_client(world, "staff")
    response = admin_invite(staff, world.a.cell, "coordinator", world.staff.email)
    assert response.status_code == 200  # the add form again, with the refusal on it
    assert response.context["adminform"].form.non_field_errors() == [
        "Cette cellule a déjà un président ou un coordonnateur en fonction : l'administrateur de la "
        "plateforme n'invite que les premiers, les suivants sont invités par eux."
    ]
    assert "déjà un président ou un coordonnateur" in response.content.decode()
    # Nor a president, nor in the other cell; and the service refuses it the same way.
    assert admin_invite(staff, world.b.cell, "president", "autre@beta.test").status_code == 200
    with pytest.raises(DomainError) as refused:
        services.invitation_create(
            cell=world.a.cell,
            email=world.staff.email,
            first_name="Admin",
            last_name="Plateforme",
            role="coordinator",
            service="",
            by=world.staff,
            by_platform_admin=True,
        )
    assert refused.value.code == "cell_has_manager"
    assert not Invitation.objects.exists() and not events("invitation.created").exists()
    assert mails(smtp_server) == []
    assert not Membership.objects.filter(user=world.staff).exists()


def test_a_cells_first_coordinator_from_the_admin_waits_for_its_first_president(world, smtp_server):  # noqa: F811
    """docs/rules.md, "The platform admin": what the admin gives waits for the president. The
    first coordinator of a cell with no president waits for the first president, whom nobody
    could approve (never their own membership): that one alone opens at once, then approves."""
    cell = make_cell("GGG", "Gamma-ville", "13003")
    staff = persona_client(world, "staff")
    assert admin_invite(staff, cell, "coordinator", "coord@gamma.test").status_code == 302
    coordinator = accept_with_new_account(mails(smtp_server)[0][2])
    assert coordinator.role == "coordinator" and coordinator.approval_pending
    assert not Membership.objects.active().filter(pk=coordinator.pk).exists()
    created = events("membership.created").get(target_id=str(coordinator.pk))
    assert created.actor_id == world.staff.pk and created.data["pending"] is True

    # The waiting coordinator is no active manager: the admin still invites the first president.
    assert admin_invite(staff, cell, "president", "maire@gamma.test").status_code == 302
    president = accept_with_new_account(mails(smtp_server)[1][2])
    assert president.role == "president" and not president.approval_pending
    assert Membership.objects.active().filter(pk=president.pk).exists()

    services.membership_approve(membership=coordinator, by=president)
    assert Membership.objects.active().filter(pk=coordinator.pk).exists()
    # From now on the cell's managers invite; the admin is refused.
    assert admin_invite(staff, cell, "coordinator", "second@gamma.test").status_code == 200
    assert not Invitation.objects.filter(email="second@gamma.test").exists()


@pytest.mark.parametrize("role", sorted(PERSONAL_DATA_ROLES - MANAGERS))
def test_an_admin_invitation_in_another_personal_data_role_waits_for_the_president(world, role):
    """Accepted, it gives what the admin's membership form gives: nothing until the president
    approves, the cell's DPO told at once (the admin form offers P/C only: the service here)."""
    invitation, _token = services.invitation_create(
        cell=world.a.cell,
        email=world.outsider.email,
        first_name="Oscar",
        last_name="Dehors",
        role=role,
        service="",
        by=world.staff,
        by_platform_admin=True,
    )
    membership = services.invitation_accept_existing(invitation=invitation, user=world.outsider)
    assert membership.approval_pending
    assert not Membership.objects.active().filter(pk=membership.pk).exists()
    alert = Notification.objects.get(kind="membership_pending", target_id=membership.pk)
    assert alert.recipient_id == world.a.user("dpo").pk
    created = events("membership.created").get(target_id=str(membership.pk))
    assert created.actor_id == world.staff.pk and created.data["pending"] is True

    services.membership_approve(membership=membership, by=world.a.members["president"])
    assert Membership.objects.active().filter(pk=membership.pk).exists()


def test_an_admin_invitation_of_a_trainer_needs_no_approval(world):
    """The trainer's role opens no personal data (docs/rules.md, "The platform admin")."""
    invitation, _token = services.invitation_create(
        cell=world.a.cell,
        email=world.outsider.email,
        first_name="Oscar",
        last_name="Dehors",
        role="trainer",
        service="",
        by=world.staff,
        by_platform_admin=True,
    )
    membership = services.invitation_accept_existing(invitation=invitation, user=world.outsider)
    assert not membership.approval_pending
    assert not Notification.objects.filter(kind="membership_pending").exists()


# --- passwords ---------------------------------------------------------------------------------


def run_queued() -> None:
    """Run the jobs the request queued, as `manage.py db_worker` would."""
    for job in DBTaskResult.objects.ready():
        job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
        job.delete()


def timed_reset(address: str) -> tuple[float, int, str]:
    client = Client()
    client.get(RESET)
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.post(RESET, {"email": address})
        elapsed = time.perf_counter() - start
    assert response.status_code == 200
    return elapsed, len(queries), response.content.decode()


def test_reset_request_same_answer_same_work_no_mail_for_unknown(world, smtp_server, settings):  # noqa: F811
    settings.CMER_PASSWORD_RESET_PER_ADDRESS = 10  # six requests for one address below
    known = world.a.user("member").email
    unknown = "personne@inconnue.test"
    timed_reset(known)  # warm-up (templates, first queries)
    DBTaskResult.objects.all().delete()
    times = {known: [], unknown: []}
    for _ in range(5):
        for address in (known, unknown):
            elapsed, queries, html = timed_reset(address)
            times[address].append(elapsed)
            pages = {address: (queries, re.sub(r'(value|nonce)="[^"]+"|requête \w+', "", html))}
            if address == known:
                known_page = pages[known]
            else:
                assert (
                    pages[unknown] == known_page
                )  # same queries, same page (CSRF token, nonce, request id aside)
    # The same work on both paths: one queued job each, and the timing in the same class.
    assert DBTaskResult.objects.count() == 10
    slow, fast = max(min(times[known]), min(times[unknown])), min(min(times[known]), min(times[unknown]))
    assert slow < 3 * fast + 0.01, times
    run_queued()
    received = mails(smtp_server)
    assert {tuple(r) for r, _s, _b in received} == {(known,)} and len(received) == 5
    assert unknown not in repr(list(AuditEvent.objects.values_list("data", "target_id")))


def reset_page(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    return re.sub(r'(value|nonce)="[^"]+"|requête \w+', "", response.content.decode())


def test_reset_emails_are_limited_per_address_and_per_ip_with_the_same_page(world, smtp_server, settings):  # noqa: F811
    settings.CMER_PASSWORD_RESET_PER_ADDRESS, settings.CMER_PASSWORD_RESET_PER_IP = 2, 4
    known, other = world.a.user("member").email, world.a.user("president").email
    unknown = "personne@inconnue.test"
    client = Client(REMOTE_ADDR="10.1.1.1")
    page = reset_page(client.post(RESET, {"email": known}))
    with CaptureQueriesContext(connection) as first:
        assert reset_page(client.post(RESET, {"email": known.upper()})) == page
    run_queued()
    assert len(mails(smtp_server)) == 2
    # The (N+1)th for that address, from anywhere: the same page and the same queries, no e-mail.
    with CaptureQueriesContext(connection) as limited:
        assert reset_page(Client(REMOTE_ADDR="10.2.2.2").post(RESET, {"email": known})) == page
    assert len(limited) == len(first)
    run_queued()
    assert len(mails(smtp_server)) == 2
    assert events("auth.password_reset_requested").filter(outcome="denied").count() == 1
    # Per client address: 10.1.1.1 made 2 requests; an unknown address counts too (the same work),
    # and the 5th request from it sends nothing, whatever the address.
    for address in (unknown, unknown):
        assert reset_page(client.post(RESET, {"email": address})) == page
    assert reset_page(client.post(RESET, {"email": other})) == page
    run_queued()
    assert len(mails(smtp_server)) == 2
    # Another client asks for that account: served (its own count and the account's are low).
    assert reset_page(Client(REMOTE_ADDR="10.3.3.3").post(RESET, {"email": other})) == page
    run_queued()
    assert [r for r, _s, _b in mails(smtp_server)][2:] == [[other]]


def test_behind_the_proxy_the_client_address_is_nginx_x_real_ip(world, settings):  # type: ignore[no-untyped-def]
    settings.CMER_BEHIND_PROXY = True
    Client(HTTP_X_REAL_IP="203.0.113.7").post(RESET, {"email": "personne@inconnue.test"})
    assert events("auth.password_reset_requested").get().ip == "203.0.113.7"


def test_reset_link_sets_password_ends_sessions_and_keeps_the_second_factor(world, smtp_server):  # noqa: F811
    user = world.a.user("member")
    before = persona_client(world, "member")
    assert before.get(DASHBOARD).status_code == 200
    Client().post(RESET, {"email": user.email})
    run_queued()
    link = link_in(mails(smtp_server)[0][2])
    client = Client()
    assert client.get(link).status_code == 200
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response.url == LOGIN
    assert events("auth.password_reset").get().actor_id == user.pk
    assert Client().get(link).status_code == 410  # used once
    assert before.get(DASHBOARD).url.split("?")[0] == LOGIN  # the old session ended
    # The new password opens only the second-factor step.
    fresh = Client()
    assert post_password(fresh, user.email, NEW_PASSWORD).url == OTP_VERIFY
    assert fresh.get(DASHBOARD).url == OTP_VERIFY


def test_password_change_needs_current_password_and_factor(world, smtp_server):  # noqa: F811
    user = world.a.user("coordinator")
    other_session = persona_client(world, "coordinator")
    client = full_login(Client(), user)
    url = reverse("accounts:password_change")
    device = TOTPDevice.objects.get(user=user)
    from tests.test_auth import token_for

    data = {"password": PASSWORD, "token": token_for(device, 1), "new_password1": NEW_PASSWORD}
    assert client.post(url, {**data, "new_password2": "autre chose encore"}).status_code == 400
    refused = client.post(url, {**data, "password": "faux mot de passe", "new_password2": NEW_PASSWORD})
    assert refused.status_code == 400
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0)
    response = client.post(url, {**data, "token": token_for(device, 2), "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert client.get(DASHBOARD).status_code == 200  # this session goes on
    assert other_session.get(DASHBOARD).url.split("?")[0] == LOGIN  # the others end
    assert [r for r, _s, _b in mails(smtp_server)] == [[user.email]]


# --- lost second factor --------------------------------------------------------------------------


def test_factor_reset_needs_president_and_coordinator_and_ends_all_sessions(
    world,
    smtp_server,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    cw = world.a
    target = cw.members["member"]
    target_session = persona_client(world, "member")
    coordinator = persona_client(world, "coordinator")
    coordinator.post(reverse("accounts:factor_reset_request", kwargs={"pk": target.pk}))
    reset = FactorReset.objects.get()
    approve = reverse("accounts:factor_reset_approve", kwargs={"pk": reset.pk})

    # One person alone: the requester approving their own request is refused, as is the person.
    assert coordinator.post(approve).status_code == 403
    with pytest.raises(DomainError):
        services.factor_reset_approve(reset=reset, by=cw.members["coordinator"])
    with pytest.raises(DomainError):
        services.factor_reset_approve(reset=reset, by=target)
    assert TOTPDevice.objects.filter(user=target.user).exists()
    assert target_session.get(DASHBOARD).status_code == 200
    assert smtp_server.messages == []

    BackupCodeDevice.objects.create(user=target.user, name="Codes de secours")
    with django_capture_on_commit_callbacks(execute=True):
        assert persona_client(world, "president").post(approve).url == MEMBERS
    assert not TOTPDevice.objects.filter(user=target.user).exists()
    assert not BackupCodeDevice.objects.filter(user=target.user).exists()
    assert target_session.get(DASHBOARD).url.split("?")[0] == LOGIN  # every session ended
    assert "_auth_user_id" not in target_session.session  # signed out, not merely unverified
    ((rcpt, _subject, body),) = mails(smtp_server)
    assert rcpt == [target.user.email] and "réinitialisé" in body
    steps = AuditEvent.objects.filter(action__contains="factor_reset").order_by("seq")
    assert list(steps.values_list("action", "actor_id", "outcome")) == [
        ("auth.factor_reset_requested", cw.user("coordinator").pk, "ok"),
        ("factor_reset.approve", cw.user("coordinator").pk, "denied"),
        ("auth.factor_reset_approved", cw.user("president").pk, "ok"),
    ]
    # The person signs in again and enrols a new factor.
    again = Client()
    post_password(again, target.user.email)
    assert again.get(DASHBOARD).url == OTP_SETUP


def test_a_manager_cannot_ask_to_reset_their_own_factor(world):
    with pytest.raises(DomainError):
        services.factor_reset_request(
            target=world.a.members["coordinator"], by=world.a.members["coordinator"]
        )
    with pytest.raises(DomainError):
        services.factor_reset_request(target=world.a.members["member"], by=world.a.members["trainer"])
