"""The Django admin: staff only, after the second factor, never any case data, every change audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from cmer.accounts.admin import SELF_AUDITED, AuditLogMixin
from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership, TOTPDevice
from cmer.accounts.services import _new_backup_codes
from cmer.audit.models import AuditEvent
from cmer.cases.models import Case
from cmer.core.fields import EncryptedTextField
from cmer.notifications.models import Notification
from tests.personas import ROLES, password_only_login, persona_client

pytestmark = pytest.mark.django_db

CASE_DATA_APPS = {"cases", "referrals", "meetings", "exchange"}


def admin_urls(world) -> list[str]:
    member = world.a.members["member"]
    return [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{member.user_id}/change/",
        "/admin/accounts/cell/",
        f"/admin/accounts/cell/{world.a.cell.pk}/change/",
        "/admin/accounts/membership/",
        "/admin/accounts/membership/add/",
    ]


def test_staff_reaches_the_admin_with_a_verified_second_factor(world):
    client = persona_client(world, "staff")
    for url in admin_urls(world):
        assert client.get(url).status_code == 200, url


def test_staff_without_second_factor_never_reaches_the_admin(world):
    client = password_only_login(Client(), world.staff)
    for url in admin_urls(world):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("accounts:otp_verify"), url


@pytest.mark.parametrize("persona", [*ROLES, "outsider"])
def test_non_staff_never_reach_the_admin(world, persona):
    client = persona_client(world, persona)
    for url in admin_urls(world):
        response = client.get(url, follow=True)
        assert response.status_code == 200
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        assert not final.startswith("/admin/"), f"{persona} stayed on {final}"
        assert "administration de la plateforme" not in response.content.decode()


def test_admin_login_page_is_the_platform_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_admin_registers_no_case_data_model():
    labels = {model._meta.app_label for model in admin.site._registry}
    assert not labels & CASE_DATA_APPS, labels & CASE_DATA_APPS
    for model in admin.site._registry:
        encrypted = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
        assert not encrypted, f"{model._meta.label} shows encrypted personal fields: {encrypted}"


def test_admin_index_lists_no_case_app(world):
    body = persona_client(world, "staff").get("/admin/").content.decode()
    for app in CASE_DATA_APPS:
        assert f"/admin/{app}/" not in body


def test_admin_account_change_is_audited_and_ends_sessions(world):
    staff = persona_client(world, "staff")
    target = world.a.user("member")
    member_client = persona_client(world, "member")
    assert member_client.get(reverse("core:dashboard")).status_code == 200

    response = staff.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "email": target.email,
            "first_name": target.first_name,
            "last_name": target.last_name,
            "phone": "",
            # is_active omitted: unticked, the account is deactivated
            "email_notifications": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    target.refresh_from_db()
    assert not target.is_active
    event = AuditEvent.objects.get(action="admin.user.changed")
    assert event.actor_id == world.staff.pk and event.target_id == str(target.pk)
    assert "is_active" in event.data.values()
    # No personal value in the audit data: field names only.
    assert target.email not in str(event.data) and target.last_name not in str(event.data)
    # The deactivated account's open session stops at its next request.
    assert member_client.get(reverse("core:dashboard")).url.startswith(reverse("accounts:login"))


def test_admin_membership_creation_is_audited(world):
    staff = persona_client(world, "staff")
    response = staff.post(
        "/admin/accounts/membership/add/",
        {
            "user": world.outsider.pk,
            "cell": world.b.cell.pk,
            "role": "member",
            "service": "CCAS",
            "start_date": "2026-01-01",
            "end_date": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=world.outsider)
    assert response.url == reverse("admin:accounts_membership_changelist")
    # Written by the membership service: the same audited write as a coordinator's.
    event = AuditEvent.objects.get(action="membership.created")
    assert event.cell_id == world.b.cell.pk and event.target_id == str(membership.pk)
    assert event.actor_id == world.staff.pk
    assert not AuditEvent.objects.filter(action__startswith="admin.membership").exists()


def _membership_change(membership, **changes):
    data = {"role": membership.role, "end_date": ""}
    return {**data, **changes}


def test_admin_membership_role_change_and_end_go_through_the_services(world):
    staff = persona_client(world, "staff")
    member = world.a.members["member"]
    url = f"/admin/accounts/membership/{member.pk}/change/"
    response = staff.post(url, _membership_change(member, role="state_member", service="changed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert member.role == "state_member" and member.service != "changed"  # service is read-only
    event = AuditEvent.objects.get(action="membership.role_changed")
    assert event.actor_id == world.staff.pk
    assert event.data == {"from": "member", "to": "state_member", "pending": True}
    assert member.approval_pending  # a role opening personal data, given by the admin: suspended

    response = staff.post(url, _membership_change(member, end_date="2026-02-01"))
    assert response.status_code == 302, response.content.decode()[:2000]
    member.refresh_from_db()
    assert str(member.end_date) == "2026-02-01"
    event = AuditEvent.objects.get(action="membership.ended")
    assert event.actor_id == world.staff.pk and event.target_id == str(member.pk)
    assert not AuditEvent.objects.filter(action__startswith="admin.membership").exists()


def test_admin_ended_membership_is_read_only(world):
    staff = persona_client(world, "staff")
    member = world.a.members["member"]
    member.end_date = member.start_date
    member.save(update_fields=["end_date"])
    url = f"/admin/accounts/membership/{member.pk}/change/"
    response = staff.post(url, {"role": "coordinator", "end_date": ""})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == "member" and member.end_date is not None
    assert not AuditEvent.objects.filter(action__startswith="membership.").exists()


def test_admin_cannot_delete(world):
    staff = persona_client(world, "staff")
    cell = world.a.cell
    response = staff.post(f"/admin/accounts/cell/{cell.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Cell.objects.filter(pk=cell.pk).exists()
    member = world.a.members["member"]
    response = staff.post(f"/admin/accounts/membership/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Membership.objects.filter(pk=member.pk).exists()


# --- the platform admin stays out of cases (issue 12 item 6) --------------------------------------


def _second_factor(user):
    key = "3132333435363738393031323334353637383930"  # a test secret, looked for on every page
    TOTPDevice.objects.filter(user=user).delete()
    totp = TOTPDevice.objects.create(user=user, name="Application TOTP", key=key, confirmed=True)
    codes = _new_backup_codes(user)
    return totp, key, codes


def test_admin_never_shows_nor_edits_second_factor_secrets(world):
    staff = persona_client(world, "staff")
    target = world.a.user("coordinator")
    totp, key, codes = _second_factor(target)
    # Second factors have no admin at all: their pages do not exist.
    for url in (
        "/admin/accounts/totpdevice/",
        f"/admin/accounts/totpdevice/{totp.pk}/change/",
        "/admin/accounts/backupcodedevice/",
        "/admin/accounts/backupcode/",
    ):
        response = staff.get(url)
        assert response.status_code == 404, url
    for url in ("/admin/", "/admin/accounts/", f"/admin/accounts/user/{target.pk}/change/"):
        response = staff.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert key not in body and not any(code in body for code in codes), url
        assert "qrcode" not in body.lower() and "otpauth" not in body, url
        assert 'name="key"' not in body and 'name="token' not in body, url
    totp.refresh_from_db()
    assert totp.key == key


def test_admin_cannot_set_a_password(world):
    staff = persona_client(world, "staff")
    target = world.a.user("coordinator")
    before = target.password
    url = f"/admin/accounts/user/{target.pk}/password/"
    assert staff.get(url).status_code == 403
    response = staff.post(
        url, {"password1": "Nouveau-mot-de-passe-42", "password2": "Nouveau-mot-de-passe-42"}
    )
    assert response.status_code == 403
    body = staff.get(f"/admin/accounts/user/{target.pk}/change/").content.decode()
    assert "/password/" not in body and 'name="password' not in body
    # Posting a password with the change form changes nothing either.
    staff.post(
        f"/admin/accounts/user/{target.pk}/change/",
        {
            "email": target.email,
            "first_name": "A",
            "last_name": "B",
            "phone": "",
            "is_active": "on",
            "email_notifications": "on",
            "password": "pbkdf2_sha256$1$x$y",
            "password1": "Xx-123456789",
        },
    )
    target.refresh_from_db()
    assert target.password == before
    # A new account has no usable password: its owner sets one.
    add = staff.get("/admin/accounts/user/add/").content.decode()
    assert 'name="password1"' not in add
    response = staff.post(
        "/admin/accounts/user/add/",
        {
            "email": "new.agent@example.org",
            "first_name": "N",
            "last_name": "A",
            "phone": "",
            "password1": "Xx-123456789",
            "password2": "Xx-123456789",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = type(target).objects.get(email="new.agent@example.org")
    assert not created.has_usable_password()
    assert AuditEvent.objects.filter(action="admin.user.created", target_id=str(created.pk)).exists()


def test_every_admin_writes_to_the_audit_chain():
    """Each registered admin audits its own writes, or is wrapped to record Django's admin log."""
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, (AuditLogMixin, *SELF_AUDITED)), model._meta.label


def test_third_party_admin_change_is_an_audit_event(world):
    from django.contrib.auth.models import Group

    staff = persona_client(world, "staff")
    response = staff.post("/admin/auth/group/add/", {"name": "lecteurs"})
    assert response.status_code == 302, response.content.decode()[:2000]
    group = Group.objects.get(name="lecteurs")
    event = AuditEvent.objects.get(action="admin.group.created")
    assert event.actor_id == world.staff.pk and event.target_id == str(group.pk)
    assert "lecteurs" not in str(event.data)


def test_admin_given_coordinator_membership_reads_no_case_until_the_president_approves(world):
    staff = persona_client(world, "staff")
    cell = world.a.cell
    response = staff.post(
        "/admin/accounts/membership/add/",
        {
            "user": world.staff.pk,
            "cell": cell.pk,
            "role": "coordinator",
            "service": "",
            "start_date": "2026-01-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership = Membership.objects.get(user=world.staff, cell=cell)
    assert membership.approval_pending
    # The DPO of the cell is alerted, nobody else.
    alert = Notification.objects.get(kind="membership_pending")
    assert alert.recipient_id == world.a.user("dpo").pk and alert.target_id == membership.pk
    # Signed in again as the platform admin: no cell, no case.
    staff = persona_client(world, "staff")
    case = Case.objects.filter(cell=cell).first()
    assert not Membership.objects.active().filter(pk=membership.pk).exists()
    response = staff.get(reverse("cases:list"))
    assert response.status_code == 302 and not response.url.startswith(reverse("cases:list"))
    if case is not None:
        assert staff.get(reverse("cases:detail", args=[case.pk])).status_code in (302, 404)

    # The president sees it from the dashboard, and approves it.
    president = persona_client(world, "president")
    dashboard = president.get(reverse("core:dashboard")).content.decode()
    assert reverse("accounts:approvals") in dashboard
    page = president.get(reverse("accounts:approvals"))
    assert page.status_code == 200 and page.context["rows"][0] == membership
    response = president.post(reverse("accounts:member_approve", args=[membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.approval_pending and membership.approved_by_id == world.a.user("president").pk
    assert AuditEvent.objects.filter(action="membership.approved", target_id=str(membership.pk)).exists()
    assert Membership.objects.active().filter(pk=membership.pk).exists()


def test_coordinator_cannot_approve_and_president_cannot_approve_self(world):
    from datetime import date

    from cmer.accounts import services
    from cmer.core.errors import DomainError

    membership = services.membership_create(
        cell=world.a.cell,
        user=world.outsider,
        role="member",
        service="",
        start_date=date(2026, 1, 1),
        by=world.staff,
        by_platform_admin=True,
    )
    with pytest.raises(DomainError):
        services.membership_approve(membership=membership, by=world.a.members["coordinator"])
    membership.refresh_from_db()
    assert membership.approval_pending


def test_trainer_membership_by_admin_needs_no_approval(world):
    from datetime import date

    from cmer.accounts import services

    membership = services.membership_create(
        cell=world.a.cell,
        user=world.outsider,
        role="trainer",
        service="",
        start_date=date(2026, 1, 1),
        by=world.staff,
        by_platform_admin=True,
    )
    assert not membership.approval_pending
    assert not Notification.objects.filter(kind="membership_pending").exists()


# --- charters frozen once accepted (issue 12 item 5) ----------------------------------------------


def test_accepted_charter_cannot_be_rewritten_from_the_admin(world):
    from cmer.accounts.admin import CharterAdminForm

    staff = persona_client(world, "staff")
    charter = world.a.cell.current_charter()
    assert CharterAcceptance.objects.filter(charter=charter).exists()  # the personas accepted it
    original = charter.text
    body = staff.get(f"/admin/accounts/cell/{world.a.cell.pk}/change/").content.decode()
    assert original[:40] in body
    assert 'maxlength="20000" disabled' in body  # shown, not editable

    # The inline form ignores a posted change, and a change slipped in is refused.
    data = {"version": charter.version, "text": "Texte réécrit", "effective_date": charter.effective_date}
    form = CharterAdminForm(data=data, instance=charter)
    assert form.is_valid() and not form.has_changed()
    form.save()
    charter.refresh_from_db()
    assert charter.text == original

    # A version not yet accepted can still be corrected; a new text is a new version.
    draft = Charter.objects.create(
        cell=world.a.cell, version=charter.version + 1, text="Projet", effective_date="2099-01-01"
    )
    form = CharterAdminForm(
        data={"version": draft.version, "text": "Projet corrigé", "effective_date": "2099-01-01"},
        instance=draft,
    )
    assert form.is_valid(), form.errors
    form.save()
    draft.refresh_from_db()
    assert draft.text == "Projet corrigé"


def test_each_acceptance_keeps_the_hash_of_the_text_shown(world):
    import hashlib

    from tests.personas import persona_client as client_for

    charter = Charter.objects.create(
        cell=world.a.cell,
        version=99,
        text="Charte v99 : je garde le secret.\nDeuxième ligne.",
        effective_date="2026-01-01",
    )
    client = client_for(world, "member")
    page = client.get(reverse("accounts:charter"), follow=True)
    shown = page.context["charter"].text
    assert "Charte v99" in page.content.decode()
    response = client.post(
        reverse("accounts:charter"), {"accept": "yes", "text_sha256": page.context["charter"].text_sha256}
    )
    assert response.status_code == 302
    acceptance = CharterAcceptance.objects.get(charter=charter, membership=world.a.members["member"])
    assert acceptance.text_sha256 == hashlib.sha256(shown.encode("utf-8")).hexdigest()
    event = AuditEvent.objects.get(action="charter.accepted", target_id=str(charter.pk))
    assert event.data["sha256"] == acceptance.text_sha256


def test_acceptance_of_a_text_other_than_the_one_shown_is_refused(world):
    charter = Charter.objects.create(
        cell=world.a.cell, version=99, text="Version lue", effective_date="2026-01-01"
    )
    client = persona_client(world, "member")
    client.post(reverse("accounts:charter"), {"accept": "yes", "text_sha256": "0" * 64})
    assert not CharterAcceptance.objects.filter(charter=charter).exists()
