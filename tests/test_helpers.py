"""The test suite's own rules: one sign-in helper and one axe helper for every browser test."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
SHARED = TESTS / "e2e" / "conftest.py"


def test_browser_tests_use_the_shared_login_and_axe_helpers():
    """Only tests/e2e/conftest.py runs axe-core or turns a test client's session into a cookie."""
    offenders = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if path not in (SHARED, Path(__file__).resolve())
        and any(marker in path.read_text() for marker in ("Axe(", "add_cookies("))
    ]
    assert offenders == []
