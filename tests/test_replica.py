"""The replica router (cmer/core/replica.py): which alias serves which query.

A second alias, `replica`, points at the test database over its own connection (as
CMER_REPLICA_DATABASE_URL would point at a streaming replica); each connection's query log shows
what it served. Transactional tests: outside a transaction is where the router may choose the
replica at all.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmer.audit.services import record
from cmer.core.replica import REPLICA, replica_reads
from cmer.stats.aggregates import collect, period_for
from tests.factories import make_case
from tests.personas import persona_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(world) -> Iterator[None]:  # type: ignore[no-untyped-def]
    # Added once the test database exists, as settings.py adds it from CMER_REPLICA_DATABASE_URL.
    connections.settings[REPLICA] = {**connections["default"].settings_dict}
    # Opened here: the test case only lets connections it knew of at its start open themselves.
    connections[REPLICA].connect()
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def served(path: str, client) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """GET `path`; the SQL each alias ran for it (primary, replica)."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as secondary,
    ):
        response = client.get(path)
    assert response.status_code == 200
    return [q["sql"] for q in primary], [q["sql"] for q in secondary]


def test_statistics_aggregates_are_read_from_the_replica(world, replica):  # type: ignore[no-untyped-def]
    make_case(world.a)
    primary, secondary = served(reverse("stats:index"), persona_client(world, "coordinator"))
    assert secondary and all(sql.startswith("SELECT") for sql in secondary)
    assert any('FROM "cases_case"' in sql for sql in secondary)
    # The session, the account and its membership were read on the primary, and nothing of the
    # aggregates was.
    assert any('FROM "django_session"' in sql for sql in primary)
    assert not any('FROM "cases_case"' in sql for sql in primary)


def test_audited_export_reads_and_writes_its_event_on_the_primary(world, replica):  # type: ignore[no-untyped-def]
    primary, secondary = served(reverse("stats:csv"), persona_client(world, "coordinator"))
    assert any('FROM "cases_case"' in sql for sql in primary)
    assert any(sql.startswith('INSERT INTO "audit_auditevent"') for sql in primary)
    assert secondary == []


def test_dpo_search_reads_the_trail_on_the_replica_and_audits_on_the_primary(world, replica):  # type: ignore[no-untyped-def]
    primary, secondary = served(reverse("privacy:audit_search"), persona_client(world, "dpo"))
    assert any('FROM "audit_auditevent"' in sql and "ORDER BY" in sql for sql in secondary)
    assert all(sql.startswith("SELECT") for sql in secondary)
    assert any(sql.startswith('INSERT INTO "audit_auditevent"') for sql in primary)


def test_pages_that_do_not_opt_in_and_audited_reads_stay_on_the_primary(world, replica):  # type: ignore[no-untyped-def]
    case = make_case(world.a)
    client = persona_client(world, "coordinator")
    for path in (reverse("core:dashboard"), reverse("cases:detail", args=[case.pk])):
        primary, secondary = served(path, client)
        assert primary and secondary == []


def test_reads_inside_a_transaction_stay_on_the_primary(world, replica):  # type: ignore[no-untyped-def]
    period = period_for(2025)
    with CaptureQueriesContext(connections[REPLICA]) as secondary, replica_reads():
        collect([world.a.cell.pk], period)
        assert len(secondary) > 0
        used = len(secondary)
        with transaction.atomic():
            collect([world.a.cell.pk], period)
            record(action="auth.login")
    assert len(secondary) == used
