"""The menu and the dashboard widgets are chosen by predicates of each app's permissions.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmer.core import dashboard, navigation
from tests.personas import ROLES, persona_client

pytestmark = pytest.mark.django_db

P, C, M, S, G, R, T, D = (
    "president",
    "coordinator",
    "member",
    "state_member",
    "guest",
    "reporter",
    "trainer",
    "dpo",
)
# Who sees which entry (docs/rules.md, capability table): the same as the pages they may open.
MENU = {
    "core:dashboard": set(ROLES),
    "referrals:submit": {P, C, M, R},
    "referrals:mine": {P, C, M, R},
    "cases:queue": {P, C},
    "cases:list": {P, C},
    "meetings:list": {P, C, M, S},
    "support:my_actions": {M, S},
    "exchange:transmissions": {P, C, S},
    "exchange:feedback_pending": {C, S},
    "exchange:prefect_info_list": {P, C, S},
    "exchange:briefings": {P, C},
    "training:self_study": set(ROLES),
    "training:sessions": {T, C},
    "training:draft": {T, C},
    "training:bias_counts": {T, C},
    "privacy:dpo": {D},
    "privacy:rights": {D},
    "privacy:retention": {P, C, D},
    "stats:index": {P, C, M, S, D},
    "accounts:members": {P, C},
    "notifications:inbox": set(ROLES),
}


@pytest.mark.parametrize("role", ROLES)
def test_menu_shows_what_the_predicates_allow(world, role):
    response = persona_client(world, role).get(reverse("core:dashboard"))
    assert response.status_code == 200
    shown = {item["url"] for item in response.context["menu"]}
    expected = {reverse(name) for name, roles in MENU.items() if role in roles}
    assert shown == expected


def test_registries_refuse_a_role_set():
    with pytest.raises(TypeError):
        navigation.register("core:dashboard", "x", visible={"president"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        dashboard.register(lambda request, membership: None, visible={"president"})  # type: ignore[arg-type]


def test_widget_is_not_computed_for_a_membership_its_predicate_refuses(world, monkeypatch):
    calls = []

    def widget(request, membership):
        calls.append(membership.role)
        return {"title": "Essai", "text": "visible"}

    monkeypatch.setattr(dashboard, "_widgets", [(0, lambda m: m.role == "trainer", widget)])
    assert "visible" not in persona_client(world, "member").get(reverse("core:dashboard")).content.decode()
    assert calls == []
    assert "visible" in persona_client(world, "trainer").get(reverse("core:dashboard")).content.decode()
    assert calls == ["trainer"]
