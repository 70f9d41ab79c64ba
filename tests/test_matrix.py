"""Need-to-know at the HTTP level: every URL × every persona, and cross-cell isolation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmer.audit.models import AuditEvent, Outcome
from tests.matrix import NO_CELL, all_rows, mark_audit, url_names
from tests.personas import ROLES, persona_client

ROWS = all_rows()
PERSONAS = [*ROLES, "staff", "outsider"]


def test_every_url_pattern_is_in_the_matrix():
    missing = url_names() - ROWS.keys()
    assert not missing, f"URL patterns without a permission-matrix row: {sorted(missing)}"


def test_meta_test_notices_a_new_url(settings):
    """The meta-test itself can fail: a URL added without a row is reported."""
    from django.urls import clear_url_caches, path

    import cmer.urls

    extra = path("unlisted/", lambda r: None, name="unlisted_view_for_meta_test")
    cmer.urls.urlpatterns.append(extra)
    clear_url_caches()
    try:
        assert "unlisted_view_for_meta_test" in url_names() - ROWS.keys()
    finally:
        cmer.urls.urlpatterns.remove(extra)
        clear_url_caches()


ROLE_CASES = [
    (name, persona)
    for name, row in sorted(ROWS.items())
    if not row.public and not row.auth_step
    for persona in PERSONAS
]


def test_every_post_row_checks_its_side_effect():
    """A POST row without `effect` could pass while the action silently did nothing."""
    missing = [name for name, row in ROWS.items() if row.method == "POST" and row.effect is None]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "persona"), ROLE_CASES)
def test_role_matrix(world, name, persona):
    """The exact answer of every URL to every persona (see the row format in tests/matrix.py)."""
    row = ROWS[name]
    client = persona_client(world, persona)
    kwargs = row.kwargs(world, world.a) if row.kwargs else {}
    url = reverse(name, kwargs=kwargs or None)
    data = row.data(world, world.a)
    if row.given:
        row.given(world, world.a)
    mark_audit()
    response = client.post(url, data) if row.method == "POST" else client.get(url)
    got = (response.status_code, response.get("Location"))
    if persona in row.allowed:
        status = row.expected_status()
        target = row.target(world, world.a, kwargs) if status == 302 else None
        assert got == (status, target), f"{persona} should get {status} {target or ''} on {name}"
    elif persona in {"staff", "outsider"}:
        status, target = NO_CELL
        assert got == (status, reverse(target)), f"{persona} (no cell) should be sent to choose one"
    else:
        status = row.refused_status(persona)
        assert got[0] == status, f"{persona} must get {status} on {name}, got {got}"
    if row.method == "POST":
        assert row.effect is not None
        done = row.effect(world, world.a, {**kwargs, "data": data})
        assert done is (persona in row.allowed), (
            f"{name} by {persona}: effect {'missing' if not done else 'happened'}"
        )


OBJECT_CASES = [
    (name, persona)
    for name, row in sorted(ROWS.items())
    # Sign-in steps name a link's token, not a cell's object: their answers are tested with them.
    if row.kwargs is not None and not row.auth_step
    for persona in [*ROLES, "outsider"]
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "persona"), OBJECT_CASES)
def test_other_cell_objects_are_404(world, name, persona):
    """docs/security.md #1: cell B's objects answer 404 to every role of cell A, and are audited."""
    row = ROWS[name]
    client = persona_client(world, persona)
    url = reverse(name, kwargs=row.kwargs(world, world.b))
    before = AuditEvent.objects.filter(outcome=Outcome.DENIED).count()
    for method in ("get", "post"):
        response = getattr(client, method)(url, row.data(world, world.b))
        if persona == "outsider" and response.status_code == 302:
            continue  # no cell: sent to the cell chooser before any lookup
        # The row's own method reaches the lookup (404); the other one may be refused first (405).
        expected = {404} if method == row.method.lower() else {404, 405}
        assert response.status_code in expected, f"{persona} {method} {name}: {response.status_code}"
    if persona != "outsider":
        assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() > before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, r in ROWS.items() if r.public))
def test_public_pages_answer(client, name):
    assert client.get(reverse(name)).status_code == ROWS[name].expected_status()
