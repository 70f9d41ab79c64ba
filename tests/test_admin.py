"""The Django admin: staff only, after the second factor, never any case data, every change audited."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from cmer.accounts.models import Cell, Membership
from cmer.audit.models import AuditEvent
from cmer.core.fields import EncryptedTextField
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
    assert event.actor_id == world.staff.pk and event.data == {"from": "member", "to": "state_member"}

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
