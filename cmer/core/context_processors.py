from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cmer.core.navigation import menu_for, sections_for
from cmer.core.public import accessibility_status


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page shell needs: brand, current cell and membership, role menu, CSP nonce."""
    membership = getattr(request, "membership", None)
    menu = menu_for(request, membership)
    return {
        "csp_nonce": getattr(request, "csp_nonce", None),  # read by django-htmx's htmx_script
        "state_brand": settings.CMER_STATE_BRAND,
        "operator_name": settings.CMER_OPERATOR_NAME,
        "site_title": settings.CMER_SITE_TITLE,
        "current_membership": membership,
        "current_cell": getattr(request, "cell", None),
        "menu": menu,
        "menu_sections": sections_for(menu),
        "demo_mode": settings.DEBUG and settings.CMER_DEMO,
        "request_id": getattr(request, "request_id", ""),
        # The footer states the RGAA status next to its link, as the State's sites do.
        "accessibility_status": accessibility_status().status,
    }
