"""Helpers shared by the browser journeys: real sign-in, signed-in pages, axe-core + screenshots.

    page = login_in_browser(page, live_server, user)          # password + real TOTP, via the UI
    page = signed_in_page(browser, live_server, membership)   # session cookie, no login screens
    page = new_context(browser, live_server.url).new_page()   # a new browser, signed out
    follow(page, page.get_by_role("button", name="Enregistrer"))  # click, then the next page loaded
    check_a11y(page, "referral-form")                         # 0 serious/critical axe findings
    problems += a11y_problems(page, "referral-form")          # the same, collected for the end

Every browser test uses these; none re-implements the sign-in or the axe run (tests/test_helpers.py).

axe-core runs once per distinct page: a page found clean is remembered in .cache/axe-clean/ under
what its findings depend on (page_fingerprint: the markup less its per-request values, the window
width, the static files, the browser and axe-core), so a return to the same screen, the other
xdist worker and the PostgreSQL run after the SQLite one do not check it again. Screenshots of
every checked page go to artifacts/screenshots/<name>.png (git-ignored) when CMER_SCREENSHOTS=1;
without it only the steps someone looks at are photographed (tests/e2e/test_cell_month.py).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from django_otp.oath import totp

from cmer.accounts.models import TOTPDevice
from tests.conftest import SLOWER_FRAMES
from tests.personas import PASSWORD, login

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path("artifacts/screenshots")
# A meeting's own page, not the planning form (/reunions/nouvelle/) a glob "**/reunions/*/" matches.
MEETING_PAGE = re.compile(r"/reunions/(?!nouvelle/)[^/]+/$")
BLOCKING_IMPACTS = {"serious", "critical"}
_axe = Axe()
_AXE_DIGEST = hashlib.sha256(_axe.axe_script.encode()).hexdigest()
# One empty file per page axe-core found clean, named after its fingerprint.
AXE_CLEAN = ROOT / ".cache" / "axe-clean"
# Per-request values that change nothing axe-core looks at: the nonce, the CSRF token and the
# request's reference in the footer (without it no two pages were ever alike).
_VOLATILE = re.compile(r'nonce="[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"|réf\. requête [0-9a-f]+')


def follow(page: Any, locator: Any) -> None:
    """Click what leads to another page and return once that page has loaded.

    Since Playwright 1.47 click() no longer waits for the navigation it starts, and
    wait_for_load_state() right after it sees the old page, already loaded: what is read next may
    be read on the page being left (a flaky CI run read 0 backup codes that way).
    """
    with page.expect_navigation():
        locator.click()


def totp_code(device: TOTPDevice, drift: int = 0) -> str:
    """The 6 digits the person's authenticator app shows now (or `drift` steps later)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def login_in_browser(page: Any, live_server: Any, user: Any, password: str = PASSWORD) -> Any:
    """Sign in through the real screens: e-mail and password, then a TOTP code from the device key.

    Leaves the page where the application sends the person next (charter, cell choice, dashboard).
    """
    page.goto(f"{live_server.url}/connexion/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/connexion/second-facteur/$"))
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    # A code already used in this 30-second window is refused (anti-replay): try the next step.
    for drift in (0, 1):
        page.get_by_label("Code à usage unique").fill(totp_code(device, drift))
        follow(page, page.get_by_role("button", name="Valider"))
        if "/second-facteur/" not in page.url:
            return page
    raise AssertionError("second factor refused in the browser")


def new_context(browser: Any, base_url: str) -> Any:
    """A new browser context, as a French user's browser, DSFR's frames slowed (SLOWER_FRAMES)."""
    context = browser.new_context(base_url=base_url, locale="fr-FR")
    context.add_init_script(SLOWER_FRAMES)
    return context


def signed_in_page(browser: Any, live_server: Any, membership: Any) -> Any:
    """A new browser context already signed in (password and second factor done) for a membership."""
    client = login(Client(), membership.user, membership)
    context = new_context(browser, live_server.url)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def blocking_violations(page: Any) -> list[str]:
    """axe-core violations of impact serious or critical on the current page, one line each."""
    response = _axe.run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in response["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture
def browser_context_args(browser_context_args):  # type: ignore[no-untyped-def]
    """French browser (as the users'): dates and numbers then follow French formats."""
    return {**browser_context_args, "locale": "fr-FR"}


def page_width_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0 when nothing sticks out)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@functools.cache
def static_sources_digest() -> str:
    """A digest of every static file collectstatic would take (path, size, modification time) and
    of the locked requirements: it changes whenever a stylesheet or a script may have changed."""
    from django.apps import apps
    from django.contrib.staticfiles import finders

    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes())
    # The files collectstatic takes: a change of its ignore patterns is a change of the set.
    ignore = apps.get_app_config("staticfiles").ignore_patterns
    for finder in finders.get_finders():
        for path, storage in sorted(finder.list(ignore)):
            stat = os.stat(storage.path(path))
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def page_fingerprint(markup: str, viewport: Any, browser_version: str = "") -> str:
    """What axe-core's findings depend on: the markup, less its per-request values, the width, the
    stylesheets and scripts (static_sources_digest), the browser and axe-core itself."""
    setting = f"{viewport}\0{browser_version}\0{static_sources_digest()}\0{_AXE_DIGEST}"
    return hashlib.sha256(f"{setting}\0{_VOLATILE.sub('', markup)}".encode()).hexdigest()


def a11y_problems(page: Any, name: str) -> list[str]:
    """The page's serious/critical axe findings (none when the same page was found clean already).

    For journeys that collect the findings of every page and assert once at the end. With
    CMER_SCREENSHOTS=1, a full-page screenshot to artifacts/screenshots/<name>.png as well.
    """
    if os.environ.get("CMER_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    clean = AXE_CLEAN / page_fingerprint(page.content(), page.viewport_size, page.context.browser.version)
    if clean.exists():
        return []
    problems = [f"{name}: {problem}" for problem in blocking_violations(page)]
    if not problems:
        AXE_CLEAN.mkdir(parents=True, exist_ok=True)
        clean.touch()
    return problems


def check_a11y(page: Any, name: str) -> None:
    """0 serious/critical axe findings on the page (see a11y_problems)."""
    problems = a11y_problems(page, name)
    assert not problems, f"{name} ({page.url}): " + "; ".join(problems)
