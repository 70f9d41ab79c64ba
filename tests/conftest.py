from __future__ import annotations

import os
from contextlib import ExitStack

import pytest
from django.db import transaction

from tests.personas import World, WorldIds, build_world, fetch_world
from tests.template_db import migrations_from_template

# The test runner's `flush` puts the session's first rows back, audit triggers lifted meanwhile
# (production's cannot): see tests/audit_flush.py.
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
    "--lang=fr-FR",
]

# DSFR's engine asks for an animation frame for ever, 60 times a second on every open page, even
# one nobody touches; headless Chromium counts every page as visible and draws them all. That
# loop was a fifth of the browser tests' time (104.6 s -> 82.1 s for the 15 of them, two workers).
# The browser tests slow it to 10 frames a second on a page left alone for 2 seconds: every
# callback still runs, in order, later. Frames stay at full speed for 2 seconds after the page
# loads and after each input, because DSFR starts on a frame: slowed from the start, a click right
# after loading came before DSFR listened (19 menus of 20 did not open). Playwright's own waits run
# in their own JavaScript world and keep the real frames.
SLOWER_FRAMES = """
(() => {
  const nativeRequest = window.requestAnimationFrame.bind(window);
  const nativeCancel = window.cancelAnimationFrame.bind(window);
  let lastInput = performance.now();
  for (const type of ["pointerdown", "keydown", "input", "focusin"]) {
    window.addEventListener(type, () => { lastInput = performance.now(); }, true);
  }
  window.requestAnimationFrame = (callback) =>
    performance.now() - lastInput < 2000
      ? nativeRequest(callback)
      : -window.setTimeout(() => callback(performance.now()), 100);
  window.cancelAnimationFrame = (handle) => (handle < 0 ? window.clearTimeout(-handle) : nativeCancel(handle));
})();
"""

# The personas world, committed once per test database (one per xdist worker); every ordinary
# test runs inside a transaction that is rolled back, and the flush after a transactional test puts
# the same rows back with the same ids (tests/audit_flush.py), so the world is never rebuilt.
_world_ids: WorldIds | None = None


def _commit_world() -> None:
    """Commit the personas world (and catalogue v1, the only data migration) outside any test."""
    global _world_ids
    from cmer.training import catalogue_v1
    from cmer.training.models import CatalogueVersion, Caveat, Domain, Indicator

    with transaction.atomic():
        catalogue_v1.load(CatalogueVersion, Domain, Indicator, Caveat)
        _world_ids = build_world().ids()


_template = ExitStack()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):  # type: ignore[no-untyped-def]
    """Runs just before pytest-django creates the test databases: their migrate restores the
    migrated template when there is one (tests/template_db.py), until django_db_setup below."""
    _template.enter_context(migrations_from_template())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    from tests.audit_flush import take_snapshot  # a plugin module (pytest_plugins above)

    _template.close()  # a test's own migrate (tests/test_notifications_migration.py) is real
    with django_db_blocker.unblock():
        _commit_world()
        take_snapshot()


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & fixtures
    )


def _slowness(item: pytest.Item) -> int:
    """0: in a module that starts other processes (manage.py, servers; the deployed-mode browser
    test collects the static files first, a minute or more on a fresh clone); 1: transactional
    (a live server, a flush after the test); 2: the rest."""
    module = getattr(item, "module", None)
    if module is not None and any(name in vars(module) for name in ("subprocess", "scratch_db")):
        return 0
    return 1 if _is_transactional(item) else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, each module's order kept: pytest-xdist hands tests out in this order,
    two at a time (Makefile), so the long ones overlap with the many short ones instead of leaving
    one worker alone at the end."""
    items.sort(key=_slowness)


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    """The committed world, fetched afresh (3 queries): in-memory changes never leak between tests."""
    assert _world_ids is not None, "the personas world is built by django_db_setup"
    return fetch_world(_world_ids)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": CHROMIUM_ARGS,
        # French, as the users: date inputs read jj/mm/aaaa, not mm/dd/yyyy. On Linux Chromium takes
        # its language from LANGUAGE (--lang alone is ignored) and needs Debian's chromium-l10n.
        "env": {**os.environ, "LANGUAGE": "fr"},
    }


@pytest.fixture
def context(context):  # type: ignore[no-untyped-def]
    """pytest-playwright's context (the `page` fixture's), with DSFR's frames slowed (SLOWER_FRAMES)."""
    context.add_init_script(SLOWER_FRAMES)
    return context
