"""The public pages: open to anyone (tests/test_public_pages.py checks every persona and the gates)."""

from tests.matrix import Row

ROWS = {
    "core:legal": Row(public=True),
    "core:personal_data": Row(public=True),
    "core:accessibility": Row(public=True),
    "core:sitemap": Row(public=True),
    "core:robots": Row(public=True),
}
