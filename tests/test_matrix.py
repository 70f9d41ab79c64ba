"""Need-to-know at the HTTP level: every URL × every persona, and cross-cell isolation."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cmer.audit.models import AuditEvent, Outcome
from tests.matrix import Row, all_rows
from tests.personas import ROLES, persona_client

ROWS = all_rows()
PERSONAS = [*ROLES, "staff", "outsider"]


def url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "admin":
                continue  # the Django admin: staff only, tested in test_admin.py
            names |= url_names(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


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


def _request(client: Client, row: Row, url: str, data: dict) -> int:
    if row.method == "POST":
        return client.post(url, data).status_code
    return client.get(url).status_code


ROLE_CASES = [
    (name, persona)
    for name, row in sorted(ROWS.items())
    if not row.public and not row.auth_step
    for persona in PERSONAS
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "persona"), ROLE_CASES)
def test_role_matrix(world, name, persona):
    row = ROWS[name]
    client = persona_client(world, persona)
    url = reverse(name, kwargs=row.kwargs(world, world.a) if row.kwargs else None)
    status = _request(client, row, url, row.data(world, world.a))
    if persona in row.allowed:
        assert status in row.ok, f"{persona} should reach {name}, got {status}"
    else:
        assert status in row.refused or (status == 302 and persona in {"staff", "outsider"}), (
            f"{persona} must not reach {name}, got {status}"
        )


OBJECT_CASES = [
    (name, persona)
    for name, row in sorted(ROWS.items())
    if row.kwargs is not None
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
        assert response.status_code in {404, 405}, f"{persona} {method} {name}: {response.status_code}"
    if persona != "outsider":
        assert AuditEvent.objects.filter(outcome=Outcome.DENIED).count() > before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, r in ROWS.items() if r.public))
def test_public_pages_answer(client, name):
    assert client.get(reverse(name)).status_code == 200
