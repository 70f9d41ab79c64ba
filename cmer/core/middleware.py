"""Request-wide guards: correlation id, session limits, mandatory second factor, current cell."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import resolve
from django.utils.cache import add_never_cache_headers

from cmer.core import context

Handler = Callable[[HttpRequest], HttpResponse]

# Debugging and proxy methods: never served (docs/security.md #22).
REFUSED_METHODS = {"TRACE", "TRACK", "CONNECT"}
# URL names a signed-in user may reach before the second factor is verified.
SECOND_FACTOR_OPEN = {"accounts:otp_verify", "accounts:otp_setup", "accounts:logout"}
# URL names reachable before the current cell's charter is accepted.
CHARTER_OPEN = SECOND_FACTOR_OPEN | {
    "accounts:choose_cell",
    "accounts:charter",
    "accounts:backup_codes",
}
# URL names reachable without a current cell (the dashboard explains what to do next).
CELL_OPEN = CHARTER_OPEN | {"core:dashboard"}


def _url_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None) or resolve(request.path_info)
    return match.view_name


def request_id(get_response: Handler) -> Handler:
    """Give each request a correlation id, shown on error pages and stored in audit events."""

    def middleware(request: HttpRequest) -> HttpResponse:
        rid = uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        token = context.set_current(
            context.RequestContext(request_id=rid, ip=request.META.get("REMOTE_ADDR"))
        )
        try:
            if request.method in REFUSED_METHODS:
                # Refused before any other layer answers (the login redirect would echo the path).
                response = HttpResponseNotAllowed(["GET", "HEAD", "POST"])
            else:
                response = get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = rid
        return response

    return middleware


def session_limits(get_response: Handler) -> Handler:
    """Enforce the absolute session lifetime; the idle timeout is the cookie age (15 min)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get("cmer_login_at")
            if started is None or time.time() - started > settings.CMER_SESSION_ABSOLUTE_SECONDS:
                from cmer.audit.services import record

                record(action="auth.session_expired", actor=request.user, target=request.user)
                logout(request)
                return redirect(settings.LOGIN_URL)
        return get_response(request)

    return middleware


def require_second_factor(get_response: Handler) -> Handler:
    """No page beyond the second-factor step for a user who has not verified one (staff too)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified():  # type: ignore[union-attr]
            if request.path_info.startswith(settings.STATIC_URL):
                return get_response(request)
            try:
                name = _url_name(request)
            except Exception:
                name = ""
            if name not in SECOND_FACTOR_OPEN:
                has_device = user.totpdevice_set.filter(confirmed=True).exists()  # type: ignore[union-attr]
                return redirect("accounts:otp_verify" if has_device else "accounts:otp_setup")
        return get_response(request)

    return middleware


def current_cell(get_response: Handler) -> Handler:
    """Set request.cell and request.membership from the session, re-checked on every request.

    A forged or stale cell id in the session simply yields no membership; a membership whose
    cell charter is not accepted sends the user to the charter page first.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        from cmer.accounts.models import Membership

        request.membership = None  # type: ignore[attr-defined]
        request.cell = None  # type: ignore[attr-defined]
        user = request.user
        if user.is_authenticated and user.is_verified():  # type: ignore[union-attr]
            membership = Membership.objects.current_for(user, request.session.get("cmer_membership"))
            if membership is None:
                request.session.pop("cmer_membership", None)
            else:
                request.membership = membership  # type: ignore[attr-defined]
                request.cell = membership.cell  # type: ignore[attr-defined]
            if not request.path_info.startswith((settings.STATIC_URL, "/admin/")):
                name = _safe_name(request)
                if name and membership is None and name not in CELL_OPEN:
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


def _safe_name(request: HttpRequest) -> str:
    try:
        return _url_name(request)
    except Exception:
        return ""


def force_csp_nonce(get_response: Handler) -> Handler:
    """Evaluate django-csp's lazy nonce so DSFR's `{% if nonce %}` sees it (docs/stack.md gotcha 9)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if hasattr(request, "csp_nonce"):
            str(request.csp_nonce)
        return get_response(request)

    return middleware


def no_store_when_authenticated(get_response: Handler) -> Handler:
    """Pages seen by a signed-in user must never be kept by a browser or proxy cache."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response

    return middleware
