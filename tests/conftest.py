from __future__ import annotations

import os

import pytest

from tests.personas import World, build_world

# The test runner's `flush` lifts the audit triggers (production's cannot): see tests/audit_flush.py.
pytest_plugins = ["tests.audit_flush"]

# Playwright's sync API runs an event loop in the test thread; the ORM calls in the same browser
# tests are still synchronous (docs/stack.md gotcha 5). Tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(autouse=True)
def _catalogue_in_transactional_tests(request):  # type: ignore[no-untyped-def]
    """Reload catalogue v1 (a data migration) before each transactional test.

    A transactional test empties every table when it ends, migration data included, so the tests
    after it would find no catalogue. Serialized rollback is not an option: Playwright's sync API
    swaps the connection object, which loses the serialized copy and then breaks content types.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("_django_db_helper")  # the database is ready (and was flushed) first
        from cmer.training import catalogue_v1
        from cmer.training.models import CatalogueVersion, Caveat, Domain, Indicator

        catalogue_v1.load(CatalogueVersion, Domain, Indicator, Caveat)
    yield


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    return build_world()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": CHROMIUM_ARGS,
    }
