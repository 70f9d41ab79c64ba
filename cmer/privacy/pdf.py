"""HTML → PDF with WeasyPrint, allowed to read nothing but inline data and our static files."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from weasyprint import HTML
from weasyprint.urls import URLFetcher


def _static_roots() -> list[Path]:
    roots = [Path(p).resolve() for p in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


class LocalOnlyFetcher(URLFetcher):
    """Refuses every URL except data: and file: inside the static directories (no network, no LFI)."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)

    def fetch(self, url: str, headers: dict | None = None):  # type: ignore[no-untyped-def]
        if url.startswith("file:"):
            path = Path(unquote(urlparse(url).path)).resolve()
            if not any(path.is_relative_to(root) for root in _static_roots()):
                raise ValueError("file outside the static directories refused")
        elif not url.startswith("data:"):
            raise ValueError("only data: and static file: URLs are allowed")
        return super().fetch(url, headers)


def html_to_pdf(html: str) -> bytes:
    base = _static_roots()[0].as_uri() + "/"
    return HTML(string=html, base_url=base, url_fetcher=LocalOnlyFetcher()).write_pdf()
