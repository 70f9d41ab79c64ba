"""Cells and memberships: charter gate, current cell, forged ids, ending access (issue #2, item 3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cmer.accounts import services
from cmer.accounts.models import Cell, Charter, CharterAcceptance, Invitation, Membership
from cmer.audit.models import AuditEvent, Outcome
from cmer.core.public_ids import public_id
from tests.personas import login, make_membership, make_user, persona_client

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("core:dashboard")
CHARTER = reverse("accounts:charter")
CHOOSE = reverse("accounts:choose_cell")
MEMBERS = reverse("accounts:members")


def events(action: str):
    return AuditEvent.objects.filter(action=action).order_by("seq")


@pytest.fixture
def newcomer(world):
    """A coordinator of cell A who has not yet accepted the charter."""
    user = make_user("newcomer@test.cmer", first="Nouveau", last="Venu")
    return make_membership(user, world.a.cell, "coordinator", accept=False)


def accept(cell):
    """What the charter page posts: the box ticked and the fingerprint of the text it showed."""
    return {"accept": "yes", "text_sha256": cell.current_charter().text_sha256}


# --- the charter gate ------------------------------------------------------------------------


def test_no_page_before_charter_acceptance(world, newcomer):
    client = login(Client(), newcomer.user, newcomer)
    for url in (DASHBOARD, MEMBERS):
        response = client.get(url)
        assert response.status_code == 302 and response.url == CHARTER, url
    response = client.post(reverse("accounts:member_add"), {"email": world.outsider.email, "role": "member"})
    assert response.status_code == 302 and response.url == CHARTER
    assert not Membership.objects.filter(user=world.outsider).exists()

    page = client.get(CHARTER)
    assert page.status_code == 200
    assert "Charte v1" in page.content.decode()


def test_charter_needs_the_box_ticked(newcomer):
    client = login(Client(), newcomer.user, newcomer)
    response = client.post(CHARTER, {}, follow=True)
    assert "Cochez la case pour accepter la charte." in response.content.decode()
    assert not CharterAcceptance.objects.filter(membership=newcomer).exists()
    assert client.get(DASHBOARD).url == CHARTER


def test_acceptance_is_audited_and_kept_then_pages_open(world, newcomer):
    client = login(Client(), newcomer.user, newcomer)
    response = client.post(CHARTER, accept(world.a.cell))
    assert response.status_code == 302 and response.url == DASHBOARD
    acceptance = CharterAcceptance.objects.get(membership=newcomer)
    assert acceptance.charter.version == 1
    event = events("charter.accepted").get()
    assert event.actor_id == newcomer.user_id and event.cell_id == world.a.cell.pk
    assert event.data == {"version": 1, "membership": newcomer.pk, "sha256": acceptance.text_sha256}
    assert client.get(DASHBOARD).status_code == 200
    assert client.get(MEMBERS).status_code == 200
    # Accepting twice changes nothing and writes nothing more.
    client.post(CHARTER, accept(world.a.cell))
    assert CharterAcceptance.objects.filter(membership=newcomer).count() == 1
    assert events("charter.accepted").count() == 1


def test_new_charter_version_asks_again_and_keeps_the_old_acceptance(world):
    membership = world.a.members["member"]
    client = login(Client(), membership.user, membership)
    assert client.get(DASHBOARD).status_code == 200

    # A version that takes effect later does not ask yet.
    Charter.objects.create(
        cell=world.a.cell,
        version=2,
        text="Charte v2",
        effective_date=timezone.localdate() + timedelta(days=3),
    )
    assert client.get(DASHBOARD).status_code == 200

    Charter.objects.filter(version=2, cell=world.a.cell).update(effective_date=timezone.localdate())
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response.url == CHARTER
    assert "Charte v2" in client.get(CHARTER).content.decode()
    # Cell B is a separate charter: its members are not asked again.
    other = world.b.members["member"]
    assert login(Client(), other.user, other).get(DASHBOARD).status_code == 200

    client.post(CHARTER, accept(world.a.cell))
    versions = sorted(
        CharterAcceptance.objects.filter(membership=membership).values_list("charter__version", flat=True)
    )
    assert versions == [1, 2]
    assert client.get(DASHBOARD).status_code == 200


def test_cell_without_charter_opens_nothing(world):
    user = make_user("early@test.cmer")
    cell = Cell.objects.create(
        name="Gamma", code="GGG", insee_code="13003", department="13", prefecture="P", operator="Gamma"
    )
    membership = Membership.objects.create(user=user, cell=cell, role="member", service="x")
    client = login(Client(), user, membership)
    assert client.get(DASHBOARD).url == CHARTER
    page = client.get(CHARTER)
    assert "pas encore de charte" in page.content.decode()
    client.post(CHARTER, {"accept": "yes"})
    assert not CharterAcceptance.objects.filter(membership=membership).exists()


def test_charter_service_refuses_another_cells_charter(world):
    membership = world.a.members["member"]
    with pytest.raises(services.ServiceError):
        services.charter_accept(
            membership=membership, charter=world.b.cell.current_charter(), by=membership.user
        )
    with pytest.raises(services.ServiceError):
        services.charter_accept(
            membership=membership, charter=world.a.cell.current_charter(), by=world.a.user("president")
        )


# --- choosing the current cell ---------------------------------------------------------------


@pytest.fixture
def two_cells(world):
    """A person who is a member in cell A and the coordinator of cell B."""
    user = make_user("double@test.cmer", first="Double", last="Casquette")
    in_a = make_membership(user, world.a.cell, "member")
    in_b = make_membership(user, world.b.cell, "coordinator")
    return user, in_a, in_b


def test_person_with_two_memberships_chooses_the_cell(world, two_cells):
    user, in_a, in_b = two_cells
    client = login(Client(), user)  # no cell chosen yet
    assert client.get(DASHBOARD).url == CHOOSE
    assert client.get(MEMBERS).url == CHOOSE
    page = client.get(CHOOSE)
    assert page.status_code == 200
    assert {m.pk for m in page.context["form"].fields["membership"].queryset} == {in_a.pk, in_b.pk}

    response = client.post(CHOOSE, {"membership": public_id("membership", in_b.pk)})
    assert response.status_code == 302 and response.url == DASHBOARD
    assert events("cell.selected").get().cell_id == world.b.cell.pk
    dashboard = client.get(DASHBOARD)
    assert dashboard.context["current_cell"] == world.b.cell
    # Coordinator in B: B's members are listed, and none of A's.
    listed = {m.pk for m in client.get(MEMBERS).context["rows"]}
    assert in_b.pk in listed and world.b.members["member"].pk in listed
    assert not listed & {m.pk for m in world.a.members.values()}

    # Back in A, as a plain member: the member list is refused (and the refusal audited).
    client.post(CHOOSE, {"membership": public_id("membership", in_a.pk)})
    assert client.get(MEMBERS).status_code == 403
    assert events("membership.list").get().outcome == Outcome.DENIED


def test_choosing_someone_elses_membership_is_refused(world, two_cells):
    user, _in_a, _in_b = two_cells
    client = login(Client(), user)
    foreign = world.b.members["president"]
    response = client.post(CHOOSE, {"membership": public_id("membership", foreign.pk)})
    assert response.status_code == 200 and response.context["form"].errors["membership"]
    assert "cmer_membership" not in client.session
    for garbage in ("abc", "", "-1", "9" * 30, "1\x00"):
        assert client.post(CHOOSE, {"membership": garbage}).status_code == 200


@pytest.mark.parametrize("forged", ["other_user", "other_cell", "garbage", "huge"])
def test_forged_membership_id_in_session_gives_no_access(world, forged):
    """A session naming a membership that is not the user's own opens nothing of that cell."""
    membership = world.a.members["member"]
    client = login(Client(), membership.user, membership)
    value = {
        "other_user": world.a.members["coordinator"].pk,
        "other_cell": world.b.members["coordinator"].pk,
        "garbage": "not-a-number",
        "huge": 10**30,
    }[forged]
    session = client.session
    session["cmer_membership"] = value
    session.save()
    response = client.get(MEMBERS)
    assert response.status_code in {302, 403}
    assert response.status_code == 403 or response.url == CHOOSE
    # The forged value is dropped; the person falls back on their own (only) membership.
    dashboard = client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert dashboard.context["current_membership"] == membership
    assert client.session.get("cmer_membership") in (None, membership.pk)


# --- memberships: changes take effect at the next request, and are audited -----------------


def test_ending_a_membership_cuts_access_at_the_next_request(world):
    coordinator = world.a.members["coordinator"]
    client = persona_client(world, "coordinator")
    assert client.get(MEMBERS).status_code == 200
    services.membership_end(membership=coordinator, by=world.a.user("president"))
    response = client.get(MEMBERS)
    assert response.status_code == 302 and response.url == CHOOSE
    dashboard = client.get(DASHBOARD)
    assert dashboard.status_code == 200 and dashboard.context["current_membership"] is None
    assert "aucune cellule active" in dashboard.content.decode()
    event = events("membership.ended").get()
    assert event.target_id == str(coordinator.pk) and event.data == {"role": "coordinator"}
    with pytest.raises(services.ServiceError):
        services.membership_end(membership=coordinator, by=world.a.user("president"))


def test_membership_that_starts_later_gives_no_access_yet(world):
    user = make_user("future@test.cmer")
    membership = Membership.objects.create(
        user=user,
        cell=world.a.cell,
        role="member",
        service="x",
        start_date=timezone.localdate() + timedelta(days=1),
    )
    client = login(Client(), user, membership)
    assert client.get(MEMBERS).url == CHOOSE
    assert client.get(DASHBOARD).context["current_membership"] is None


def test_membership_services_are_audited(world):
    president = world.a.user("president")
    created = services.membership_create(
        cell=world.a.cell,
        user=world.outsider,
        role="member",
        service="CCAS",
        start_date=timezone.localdate(),
        by=president,
    )
    event = events("membership.created").get()
    assert (event.actor_id, event.cell_id, event.target_id) == (
        president.pk,
        world.a.cell.pk,
        str(created.pk),
    )
    assert event.data == {"role": "member", "user": world.outsider.pk, "pending": False}
    with pytest.raises(services.ServiceError):
        services.membership_create(
            cell=world.a.cell,
            user=world.outsider,
            role="guest",
            service="",
            start_date=timezone.localdate(),
            by=president,
        )
    assert events("membership.created").count() == 1

    services.membership_change_role(membership=created, role="state_member", by=president)
    event = events("membership.role_changed").get()
    assert event.data == {"from": "member", "to": "state_member", "pending": False}
    created.refresh_from_db()
    assert created.role == "state_member"
    # No change, no event.
    services.membership_change_role(membership=created, role="state_member", by=president)
    assert events("membership.role_changed").count() == 1


def test_membership_views_add_change_end(world):
    client = persona_client(world, "coordinator")
    response = client.post(
        reverse("accounts:member_add"), {"email": world.outsider.email, "role": "member", "service": "CCAS"}
    )
    assert response.status_code == 302
    added = Membership.objects.get(user=world.outsider, cell=world.a.cell)
    assert added.role == "member" and added.service == "CCAS"
    # The outsider now reaches the cell (after the charter).
    outsider = login(Client(), world.outsider)
    assert outsider.get(DASHBOARD).url == CHARTER

    client.post(reverse("accounts:member_role", kwargs={"pk": added.pk}), {"role": "coordinator"})
    added.refresh_from_db()
    assert added.role == "coordinator"
    client.post(reverse("accounts:member_end", kwargs={"pk": added.pk}))
    added.refresh_from_db()
    assert added.end_date == timezone.localdate()
    assert outsider.get(CHARTER).url == CHOOSE
    actions = list(
        AuditEvent.objects.filter(target_type="accounts.membership", target_id=str(added.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["membership.created", "membership.role_changed", "membership.ended"]


def test_membership_forms_reject_bad_input(world):
    client = persona_client(world, "coordinator")
    for data in (
        {"email": "nobody@unknown.example", "role": "member"},
        {"email": world.outsider.email, "role": "emperor"},
        {"email": "x" * 100_000, "role": "member"},
        {"email": "a\x00b@test.cmer", "role": "member"},
    ):
        response = client.post(reverse("accounts:member_add"), data)
        assert response.status_code == 400
        assert response.context["form"].errors
    assert not Membership.objects.filter(user=world.outsider).exists()
    target = world.a.members["member"]
    client.post(reverse("accounts:member_role", kwargs={"pk": target.pk}), {"role": "emperor"})
    target.refresh_from_db()
    assert target.role == "member"


def test_manager_cannot_end_own_membership(world):
    coordinator = world.a.members["coordinator"]
    client = persona_client(world, "coordinator")
    response = client.post(reverse("accounts:member_end", kwargs={"pk": coordinator.pk}))
    assert response.status_code == 403
    coordinator.refresh_from_db()
    assert coordinator.end_date is None
    assert events("membership.end").get().outcome == Outcome.DENIED


def test_only_a_president_gives_or_takes_the_presidents_role(world):
    """The president approves the coordinator's transmissions: a coordinator who could appoint
    one would choose who approves their own work (docs/rules.md §2)."""
    president, member = world.a.members["president"], world.a.members["member"]
    coordinator = persona_client(world, "coordinator")
    page = coordinator.get(MEMBERS).content.decode()
    assert 'value="president"' not in page and 'value="member"' in page  # add and invite forms
    for name, form, data in (
        ("accounts:member_add", "form", {"email": world.outsider.email, "role": "president"}),
        (
            "accounts:invitation_create",
            "invite_form",
            {"email": "maire.bis@mairie.test", "first_name": "Léa", "last_name": "Bis", "role": "president"},
        ),
    ):
        response = coordinator.post(reverse(name), data)
        assert response.status_code == 400 and "role" in response.context[form].errors, name
    assert not Membership.objects.filter(user=world.outsider).exists()
    assert not Invitation.objects.filter(email="maire.bis@mairie.test").exists()
    coordinator.post(reverse("accounts:member_role", kwargs={"pk": member.pk}), {"role": "president"})
    assert (
        coordinator.post(
            reverse("accounts:member_role", kwargs={"pk": president.pk}), {"role": "member"}
        ).status_code
        == 403
    )
    assert coordinator.post(reverse("accounts:member_end", kwargs={"pk": president.pk})).status_code == 403
    member.refresh_from_db()
    president.refresh_from_db()
    assert (member.role, president.role, president.end_date) == ("member", "president", None)
    # The president gives it (a deputy, say).
    by_president = persona_client(world, "president")
    assert 'value="president"' in by_president.get(MEMBERS).content.decode()
    by_president.post(reverse("accounts:member_role", kwargs={"pk": member.pk}), {"role": "president"})
    member.refresh_from_db()
    assert member.role == "president"


def test_role_change_takes_effect_at_next_request(world):
    member = world.a.members["member"]
    client = persona_client(world, "member")
    assert client.get(MEMBERS).status_code == 403
    services.membership_change_role(membership=member, role="coordinator", by=world.a.user("president"))
    assert client.get(MEMBERS).status_code == 200
