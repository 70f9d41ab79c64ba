"""Support plans: assigning actions to services, updates by the service itself, history, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.cases.models import Action, ActionUpdate
from cmer.cases.states import State
from cmer.support import services
from tests.factories_meetings import make_action, make_plan
from tests.personas import persona_client

pytestmark = pytest.mark.django_db


def _add(world, plan, role="coordinator", **data):
    payload = {
        "title": "Entretien d'orientation",
        "service": "svc-member",
        "referent": "Conseillère CCAS",
        "start_on": str(timezone.localdate()),
        "end_on": str(timezone.localdate() + timedelta(days=20)),
        **data,
    }
    return persona_client(world, role).post(
        reverse("support:action_add", kwargs={"pk": plan.case_id}), payload
    )


def test_managers_assign_actions_to_a_service_of_the_cell(world):
    plan = make_plan(world.a, services=())
    assert _add(world, plan).status_code == 302
    action = Action.objects.get(plan=plan)
    assert action.service == "svc-member" and action.case_id == plan.case_id
    assert AuditEvent.objects.filter(action="support.action_assigned", target_id=str(action.pk)).count() == 1
    # A service nobody in the cell has is refused, as is an end before the start.
    assert _add(world, plan, service="Service inconnu").status_code == 400
    late = str(timezone.localdate() - timedelta(days=1))
    assert _add(world, plan, end_on=late).status_code == 400
    assert Action.objects.filter(plan=plan).count() == 1


def test_no_action_on_a_plan_that_is_not_running(world):
    plan = make_plan(world.a, services=())
    plan.case.state = State.CLOSED
    plan.case.save()
    with pytest.raises(services.SupportError):
        services.action_assign(
            plan=plan,
            service="svc-member",
            title="x",
            referent="",
            start_on=timezone.localdate(),
            end_on=timezone.localdate(),
            by=world.a.members["coordinator"],
        )


def test_member_updates_only_actions_of_their_own_service_with_history(world):
    mine = make_action(world.a, "svc-member")
    theirs = make_action(world.a, "svc-state_member")
    client = persona_client(world, "member")
    url = reverse("support:action", kwargs={"pk": mine.pk})
    assert client.get(url).status_code == 200
    ok = client.post(url, {"result": "in_progress", "note": "Premier rendez-vous tenu le 3 mars."})
    assert ok.status_code == 302
    client.post(url, {"result": "done", "note": "Inscription à la formation faite."})
    mine.refresh_from_db()
    assert mine.result == "done" and mine.result_note == "Inscription à la formation faite."
    assert list(ActionUpdate.objects.filter(action=mine).order_by("pk").values_list("result", flat=True)) == [
        "in_progress",
        "done",
    ]
    assert AuditEvent.objects.filter(action="support.action_updated", target_id=str(mine.pk)).count() == 2
    other = client.post(reverse("support:action", kwargs={"pk": theirs.pk}), {"result": "done", "note": "x"})
    assert other.status_code == 404
    theirs.refresh_from_db()
    assert theirs.result == "planned"


def test_update_needs_a_closed_list_result_and_one_short_factual_sentence(world):
    action = make_action(world.a, "svc-member")
    client = persona_client(world, "member")
    url = reverse("support:action", kwargs={"pk": action.pk})
    assert client.post(url, {"result": "excellent", "note": "ok"}).status_code == 400
    assert client.post(url, {"result": "done", "note": ""}).status_code == 400
    assert client.post(url, {"result": "done", "note": "x" * 301}).status_code == 400
    assert client.post(url, {"result": "done", "note": "a\x00b"}).status_code == 400
    assert not ActionUpdate.objects.exists()


def test_my_actions_lists_the_open_actions_of_my_service_only(world):
    mine = make_action(world.a, "svc-member")
    theirs = make_action(world.a, "svc-state_member")
    done = make_action(world.a, "svc-member")
    Action.objects.filter(pk=done.pk).update(result="done")
    page = persona_client(world, "member").get(reverse("support:my_actions")).content.decode()
    assert mine.case.reference in page
    assert theirs.case.reference not in page and done.case.reference not in page
    coordinator_page = (
        persona_client(world, "coordinator").get(reverse("support:my_actions")).content.decode()
    )
    assert mine.case.reference in coordinator_page and theirs.case.reference in coordinator_page


def test_plan_page_shows_a_member_only_their_service_actions_and_is_audited(world):
    plan = make_plan(world.a, services=("svc-member", "svc-state_member"))
    Action.objects.filter(plan=plan, service="svc-state_member").update(title="Suivi préfecture")
    before = AuditEvent.objects.filter(action="support.plan_read").count()
    page = (
        persona_client(world, "member")
        .get(reverse("support:plan", kwargs={"pk": plan.case_id}))
        .content.decode()
    )
    assert "Rendez-vous mission locale" in page and "Suivi préfecture" not in page
    assert "Attribuer une action" not in page
    assert AuditEvent.objects.filter(action="support.plan_read").count() == before + 1
    for role in ("reporter", "trainer", "dpo", "guest"):
        response = persona_client(world, role).get(reverse("support:plan", kwargs={"pk": plan.case_id}))
        assert response.status_code in (403, 404)


def test_action_page_links_back_to_the_plan_for_managers_and_to_my_actions_for_a_service(world):
    action = make_action(world.a, "svc-member")
    url = reverse("support:action", kwargs={"pk": action.pk})
    to_plan = "Retour au plan"
    to_mine = "Retour à mes actions"
    for role, shown, hidden in (("coordinator", to_plan, to_mine), ("member", to_mine, to_plan)):
        page = persona_client(world, role).get(url).content.decode()
        assert shown in page and hidden not in page, role


def test_cases_does_not_import_support():
    """support builds on cases; cases importing support would make a cycle between the two."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "cmer"
    for path in (root / "cases").rglob("*.py"):
        assert "cmer.support" not in path.read_text(encoding="utf-8"), path
