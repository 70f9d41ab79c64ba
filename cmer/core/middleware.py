"""Request-wide guards that know nothing of accounts: correlation id, refused methods, session
lifetime, CSP nonce, no caching. The second factor and the current cell are checked by
cmer/accounts/middleware.py.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from cmer.audit import context

Handler = Callable[[HttpRequest], HttpResponse]

# Debugging and proxy methods: never served (docs/security.md #22).
REFUSED_METHODS = {"TRACE", "TRACK", "CONNECT"}


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: nginx's X-Real-IP when behind it (it replaces the client's own)."""
    if settings.CMER_BEHIND_PROXY:
        return request.META.get("HTTP_X_REAL_IP") or None
    return request.META.get("REMOTE_ADDR") or None


def request_id(get_response: Handler) -> Handler:
    """Give each request a correlation id, shown on error pages and stored in audit events."""

    def middleware(request: HttpRequest) -> HttpResponse:
        rid = uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        token = context.set_current(context.RequestContext(request_id=rid, ip=client_ip(request)))
        response: HttpResponse
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


def robots_noindex(get_response: Handler) -> Handler:
    """No page of this confidential service is ever indexed, public pages included (robots.txt too)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return middleware
