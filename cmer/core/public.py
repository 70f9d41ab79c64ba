"""The public pages a French public service must publish, open without an account.

Legal notice, personal-data notice, accessibility statement, site map, robots.txt. They hold no
cell content, so they need neither the second factor nor a charter (cmer/accounts/middleware.py
lists them in PUBLIC_PAGES). The accessibility status is computed from the audit grid kept in the
repository (docs/rgaa-grille.toml), never written by hand.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cmer.core.navigation import menu_for

RGAA_GRID = Path(settings.BASE_DIR) / "docs" / "rgaa-grille.toml"
# The URL names of the public pages, in the footer's order.
PUBLIC_PAGES = ("core:legal", "core:personal_data", "core:accessibility", "core:sitemap")


@dataclass(frozen=True)
class AccessibilityStatus:
    grid: dict[str, Any]
    evaluated: int
    conform: int
    non_conform: int
    not_applicable: int
    rate: int | None  # percent of applicable criteria met, among those evaluated
    status: str


@cache
def accessibility_status(path: Path = RGAA_GRID) -> AccessibilityStatus:
    """The RGAA status from the grid: an incomplete audit can only say « non conforme »."""
    grid = tomllib.loads(path.read_text(encoding="utf-8"))
    values = [str(v) for v in (grid.get("criteria") or {}).values()]
    conform, non_conform, na = values.count("C"), values.count("NC"), values.count("NA")
    applicable = conform + non_conform
    rate = round(100 * conform / applicable) if applicable else None
    complete = len(values) >= int(grid["total_criteria"])
    if complete and non_conform == 0:
        status = _("totalement conforme")
    elif complete and rate is not None and rate >= 50:
        status = _("partiellement conforme")
    else:
        status = _("non conforme")
    return AccessibilityStatus(grid, len(values), conform, non_conform, na, rate, status)


def _controller() -> dict[str, str]:
    return {
        "controller": settings.CMER_CONTROLLER,
        "controller_address": settings.CMER_CONTROLLER_ADDRESS,
        "dpo_contact": settings.CMER_DPO_CONTACT,
    }


@login_not_required
@require_GET
def legal(request: HttpRequest) -> HttpResponse:
    context = {
        **_controller(),
        "director": settings.CMER_PUBLICATION_DIRECTOR,
        "host": settings.CMER_HOST,
    }
    return render(request, "core/public_legal.html", context)


@login_not_required
@require_GET
def personal_data(request: HttpRequest) -> HttpResponse:
    return render(
        request, "core/public_personal_data.html", {**_controller(), "days": settings.CMER_INFORMATION_DAYS}
    )


@login_not_required
@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    context = {"a11y": accessibility_status(), "contact": settings.CMER_ACCESSIBILITY_CONTACT}
    return render(request, "core/public_accessibility.html", context)


@login_not_required
@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    # The signed-in person's own menu: only pages their role may open.
    own = menu_for(request, getattr(request, "membership", None))
    return render(request, "core/public_sitemap.html", {"own_pages": own})


@login_not_required
@require_GET
def robots_txt(request: HttpRequest) -> HttpResponse:
    """A confidential service: no search engine indexes any page (the pages say noindex too)."""
    return HttpResponse("User-agent: *\nDisallow: /\n", content_type="text/plain; charset=utf-8")
