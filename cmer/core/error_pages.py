"""The project's own 404 and 500 pages in demo mode, where DEBUG is on.

With DEBUG on Django answers an unknown address with a page listing every URL pattern and a crash
with the full traceback and settings: fine on a developer's machine, not in a demonstration shown
to future users. In demo mode (DEBUG and CMER_DEMO) those responses are replaced by the pages
production shows. Last in MIDDLEWARE, so the replacement still gets every header.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from cmer.core import views


def demo_error_pages(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not (settings.DEBUG and settings.CMER_DEMO):
            return response
        if response.status_code == 404:
            return views.page_not_found(request)
        if response.status_code == 500:
            return views.server_error(request)
        return response

    return middleware
