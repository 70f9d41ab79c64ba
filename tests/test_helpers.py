"""The test suite's own rules: one sign-in helper, one axe helper and one way to open a browser context."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
SHARED = TESTS / "e2e" / "conftest.py"


def test_browser_tests_use_the_shared_login_and_axe_helpers():
    """Only tests/e2e/conftest.py runs axe-core, turns a test client's session into a cookie or opens a
    browser context (new_context: French, DSFR's frames slowed; see SLOWER_FRAMES)."""
    offenders = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if path not in (SHARED, Path(__file__).resolve())
        and any(marker in path.read_text() for marker in ("Axe(", "add_cookies(", "browser.new_context("))
    ]
    assert offenders == []


def test_a_return_to_the_same_page_has_the_same_axe_fingerprint(client, monkeypatch):
    """axe-core runs once per distinct page: two requests of one page differ only by per-request
    values (nonce, CSRF token, the request's reference in the footer), which the fingerprint drops.
    Another browser or a changed stylesheet or script is another page to check."""
    from django.urls import reverse

    from tests.e2e import conftest as e2e
    from tests.e2e.conftest import page_fingerprint

    width = {"width": 1280, "height": 900}
    first, again = (client.get(reverse("core:legal")).content.decode() for _ in range(2))
    assert first != again  # the footer's request reference at least
    assert page_fingerprint(first, width) == page_fingerprint(again, width)
    other = client.get(reverse("core:accessibility")).content.decode()
    assert page_fingerprint(other, width) != page_fingerprint(first, width)
    assert page_fingerprint(first, {"width": 375, "height": 812}) != page_fingerprint(first, width)
    assert page_fingerprint(first, width, "156.0") != page_fingerprint(first, width, "157.0")
    before = page_fingerprint(first, width)
    monkeypatch.setattr(e2e, "static_sources_digest", lambda: "a stylesheet changed")
    assert page_fingerprint(first, width) != before


def test_a_provider_that_never_listens_is_stopped_not_waited_for(tmp_path, monkeypatch):
    """The OpenID provider's start is bounded: a node process that never says it is ready is
    stopped after START_SECONDS (it once hung for 17 minutes in CI), and one that does is kept."""
    from tests import oidc_provider

    pid_file = tmp_path / "pid"
    (tmp_path / "provider.mjs").write_text(
        f"import {{ writeFileSync }} from 'node:fs';\n"
        f"writeFileSync({str(pid_file)!r}, String(process.pid));\nsetInterval(() => {{}}, 1000);\n"
    )
    monkeypatch.setattr(oidc_provider, "PROVIDER_DIR", tmp_path)
    monkeypatch.setattr(oidc_provider, "START_SECONDS", 1)
    began = time.monotonic()
    assert oidc_provider._start("http://testserver") is None
    assert time.monotonic() - began < 10
    with pytest.raises(ProcessLookupError):  # stopped and reaped
        os.kill(int(pid_file.read_text()), 0)
    (tmp_path / "provider.mjs").write_text(
        "process.stdout.write('ready http://127.0.0.1\\n'); setInterval(() => {}, 1000);\n"
    )
    process, _port = oidc_provider._start("http://testserver")
    assert process.poll() is None
    process.kill()
    process.wait()
