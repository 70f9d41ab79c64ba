"""PDF documents through WeasyPrint: local resources only, and a watermark on every page.

The watermark names the generating account by its number, role and cell, and the time: enough to
trace a printed copy back through the audit trail, without printing anybody's name. Documents
themselves never contain personal data of followed persons (pseudonymous references only).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from django.apps import apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.core.french import format_date

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


def static_roots() -> list[Path]:
    """Directories whose files a document may embed (our static files, nothing else)."""
    roots = [Path(d) for d in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    roots += [Path(app.path) / "static" for app in apps.get_app_configs()]
    return [r.resolve() for r in roots if r.is_dir()]


def is_allowed_url(url: str) -> bool:
    """data: URIs, and file: URLs resolving (symlinks and '..' followed) under a static root."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return True
    if scheme != "file":
        return False
    path = Path(unquote(urlsplit(url).path)).resolve()
    return path.is_file() and any(path.is_relative_to(root) for root in static_roots())


def watermark_text(membership: Membership, when: Any = None) -> str:
    when = timezone.localtime(when or timezone.now())
    return _(
        "Document confidentiel — généré par le compte n° %(account)s (%(role)s, cellule %(cell)s) "
        "le %(date)s à %(time)s"
    ) % {
        "account": membership.user_id,
        "role": membership.get_role_display(),
        "cell": membership.cell.code,
        "date": format_date(when),
        "time": f"{when.hour} h {when.minute:02d}",
    }


def render_pdf(template_name: str, context: dict[str, Any], *, membership: Membership) -> bytes:
    """Render a Django template to PDF bytes, watermarked for the generating membership."""
    marks = {
        "watermark": watermark_text(membership),
        "watermark_short": _("compte n° %(account)s") % {"account": membership.user_id},
    }
    # WeasyPrint and its Pango bindings load on the first document rather than at start-up: they
    # cost 0.4 s of CPU to every process that loads the URLconf (each gunicorn worker, manage.py
    # command and test subprocess), and most never render a PDF.
    from weasyprint import HTML

    from cmer.core.pdf_fetcher import LocalOnlyFetcher

    html = render_to_string(template_name, {**context, **marks})
    base = static_roots()[0].as_uri() + "/" if static_roots() else None
    return HTML(string=html, base_url=base, url_fetcher=LocalOnlyFetcher()).write_pdf()
