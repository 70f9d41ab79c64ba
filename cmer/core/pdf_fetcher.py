"""The resource fetcher of every PDF: what WeasyPrint may embed (cmer/core/pdf.py).

Apart from cmer/core/pdf.py so that importing that module does not import WeasyPrint.
"""

from __future__ import annotations

from typing import Any

from weasyprint.urls import URLFetcher

from cmer.core.pdf import is_allowed_url


class LocalOnlyFetcher(URLFetcher):
    """Refuses the network and any file outside the static directories (docs/stack.md §8)."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not is_allowed_url(url):
            # WeasyPrint logs the refusal and renders without the resource.
            raise ValueError("resource refused by the local-only fetcher")
        return super().fetch(url, headers)
