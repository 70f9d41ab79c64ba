from __future__ import annotations

import logging
import sys

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cmer.core.dashboard import widgets_for

logger = logging.getLogger(__name__)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    # Someone with a cell to choose never gets here (cmer/accounts/middleware.py sends them to the
    # chooser): without a membership, the page only explains what to do next.
    membership = getattr(request, "membership", None)
    widgets = widgets_for(request, membership) if membership else []
    return render(request, "core/dashboard.html", {"widgets": widgets})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_GET
def sante(request: HttpRequest) -> HttpResponse:
    """Readiness for a probe or a supervisor: 200 when every check passes, else 503 naming the
    failing ones. Names, yes/no and ages only: no data, no path, no version (docs/deployment.md)."""
    from django.utils.cache import add_never_cache_headers

    from cmer.core.health import run_checks

    checks = run_checks()
    failing = [c.name for c in checks if not c.ok]
    body = {
        "status": "fail" if failing else "ok",
        "failing": failing,
        "checks": {c.name: {"ok": c.ok, "age_seconds": c.age_seconds} for c in checks},
    }
    response = JsonResponse(body, status=503 if failing else 200)
    add_never_cache_headers(response)
    return response


def _error(request: HttpRequest, status: int, title: str, template: str = "error.html") -> HttpResponse:
    return render(
        request,
        template,
        {"status": status, "title": title, "request_id": getattr(request, "request_id", "")},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.utils.translation import gettext as _

    return _error(request, 400, _("Requête invalide"))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.utils.translation import gettext as _

    return _error(request, 403, _("Accès refusé"))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    from django.utils.translation import gettext as _

    return _error(request, 404, _("Page introuvable"))


# Seconds a client is asked to wait when the database is unreachable: a PostgreSQL restart or a
# failover takes about that long (docs/deployment.md).
RETRY_AFTER_SECONDS = 30


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without the request context processors: a failing one must not hide the page.
    from django.db import InterfaceError, OperationalError
    from django.template import loader
    from django.utils.translation import gettext as _

    # Django calls this handler inside its `except`: the exception is the one being handled.
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        return database_unavailable(request, error)
    html = loader.get_template("error_500.html").render(
        {"title": _("Erreur interne"), "request_id": getattr(request, "request_id", "")}
    )
    return HttpResponse(html, status=500)


def database_unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
    """The database is down, restarting or cut off: 503 with our page, and one log line naming the
    error's class only (a driver message may quote a statement's values). Nothing is cached: the
    next request tries again, and the connection's health check replaces a broken one."""
    from django.template import loader
    from django.utils.cache import add_never_cache_headers
    from django.utils.translation import gettext as _

    request_id = getattr(request, "request_id", "")
    logger.error("database unavailable (%s) request_id=%s", type(error).__name__, request_id)
    html = loader.get_template("error_503.html").render(
        {"title": _("Service momentanément indisponible"), "request_id": request_id}
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    # Django would log the traceback with the driver's message: the line above says it all.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    from django.utils.translation import gettext as _

    return _error(request, 403, _("Le formulaire a expiré. Rechargez la page et recommencez."))
