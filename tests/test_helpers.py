"""The test suite's own rules: one sign-in helper, one axe helper and one way to open a browser context."""

from __future__ import annotations

from pathlib import Path

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


def test_a_return_to_the_same_page_has_the_same_axe_fingerprint(client):
    """axe-core runs once per distinct page: two requests of one page differ only by per-request
    values (nonce, CSRF token, the request's reference in the footer), which the fingerprint drops."""
    from django.urls import reverse

    from tests.e2e.conftest import page_fingerprint

    width = {"width": 1280, "height": 900}
    first, again = (client.get(reverse("core:legal")).content.decode() for _ in range(2))
    assert first != again  # the footer's request reference at least
    assert page_fingerprint(first, width) == page_fingerprint(again, width)
    other = client.get(reverse("core:accessibility")).content.decode()
    assert page_fingerprint(other, width) != page_fingerprint(first, width)
    assert page_fingerprint(first, {"width": 375, "height": 812}) != page_fingerprint(first, width)
