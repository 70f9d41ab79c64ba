"""Account guards on every request: the second factor, then the current cell and its charter.

They live with the accounts app because they read memberships and name the account pages; the
generic request guards (request id, session lifetime, headers) are in cmer/core/middleware.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import resolve

from cmer.accounts import services
from cmer.accounts.http import AccountRequest
from cmer.accounts.models import Membership
from cmer.core.public import PUBLIC_PAGES

Handler = Callable[[HttpRequest], HttpResponse]

# Probes answer the same to anyone, whatever the session: no data behind them.
PROBES = {"core:healthz", "core:sante"}
# URL names a signed-in user may reach before the second factor is verified.
# The public pages (legal notice, personal data, accessibility, site map) are open to everyone.
SECOND_FACTOR_OPEN = {
    "accounts:otp_verify",
    "accounts:otp_setup",
    "accounts:logout",
    # The passkey ceremonies of the second-factor step (each checks who may use it).
    "accounts:passkey_auth_begin",
    "accounts:passkey_auth_complete",
    "accounts:passkey_register_begin",
    "accounts:passkey_register_complete",
    *PUBLIC_PAGES,
} | PROBES
# URL names reachable before the current cell's charter is accepted.
CHARTER_OPEN = SECOND_FACTOR_OPEN | {
    "accounts:choose_cell",
    "accounts:charter",
    "accounts:backup_codes",
    # One's own account, password and factors: nothing of a cell is shown there.
    "accounts:account",
    "accounts:totp_replace",
    "accounts:password_change",
    "accounts:passkey_enrolled",
    "accounts:passkey_add",
    "accounts:passkey_remove",
    "accounts:invitation",
}
# URL names reachable without a current cell (the dashboard explains what to do next).
CELL_OPEN = CHARTER_OPEN | {"core:dashboard"}


def _url_name(request: HttpRequest) -> str:
    try:
        match = getattr(request, "resolver_match", None) or resolve(request.path_info)
    except Exception:
        return ""
    return match.view_name


def require_second_factor(get_response: Handler) -> Handler:
    """No page beyond the second-factor step for a user who has not verified one (staff too)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        # `is_verified` is set on the user of each request by django-otp's middleware.
        if user.is_authenticated and not user.is_verified():  # type: ignore[attr-defined]
            if request.path_info.startswith(settings.STATIC_URL):
                return get_response(request)
            if _url_name(request) not in SECOND_FACTOR_OPEN:
                has_device = services.has_second_factor(user)
                return redirect("accounts:otp_verify" if has_device else "accounts:otp_setup")
        return get_response(request)

    return middleware


def current_cell(get_response: Handler) -> Handler:
    """Set request.cell and request.membership from the session, re-checked on every request.

    A forged or stale cell id in the session simply yields no membership; a membership whose
    cell charter is not accepted sends the user to the charter page first. A person with several
    memberships and none chosen is sent to the cell chooser, the dashboard included.
    """

    def middleware(http_request: HttpRequest) -> HttpResponse:
        request = cast(AccountRequest, http_request)
        request.membership = None
        request.cell = None
        user = request.user
        if user.is_authenticated and user.is_verified():  # type: ignore[attr-defined]
            membership = Membership.objects.current_for(user, request.session.get("cmer_membership"))
            if membership is None:
                request.session.pop("cmer_membership", None)
            else:
                request.membership = membership
                request.cell = membership.cell
            if not request.path_info.startswith((settings.STATIC_URL, "/admin/")):
                name = _url_name(request)
                if name and membership is None and _must_choose(name, request):
                    return redirect("accounts:choose_cell")
                # The dashboard too: its widgets show cell content, and nothing comes before the charter.
                if (
                    name
                    and membership is not None
                    and name not in CHARTER_OPEN
                    and not membership.has_accepted_current_charter()
                ):
                    return redirect("accounts:charter")
        return get_response(request)

    return middleware


def _must_choose(name: str, request: AccountRequest) -> bool:
    """Without a current membership: every cell page, and the dashboard when there is a cell to choose."""
    if name not in CELL_OPEN:
        return True
    return name == "core:dashboard" and Membership.objects.active().filter(user=request.user).exists()
