"""One domain error for every refused business operation, and one way for views to show it.

Services raise `DomainError` (or a subclass) with a French message built with gettext and a
stable `code`; views call `run_service()`, which turns the error into a message on the page (or
an error on the bound form, for pages answering 400) instead of repeating try/except blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest
from django.utils.functional import Promise

T = TypeVar("T")


class DomainError(Exception):
    """A business rule refused the operation; nothing was written.

    `message` is shown to the user as is (French, through gettext); `code` is a stable
    identifier for tests and logs, never personal data.
    """

    code: str = "refused"

    def __init__(self, message: str | Promise, *, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if code is not None:
            self.code = code


def run_service(
    request: HttpRequest,
    call: Callable[[], T],
    *,
    success: str | Promise | None = None,
    form: forms.BaseForm | None = None,
) -> T | None:
    """Run `call`; on success show `success` and return its result.

    On a `DomainError`, nothing is written (services are atomic): its message goes to the form's
    non-field errors when a form is given (the view answers 400 with it), else to the page's
    messages; the result is None so the view can tell.
    """
    try:
        result = call()
    except DomainError as exc:
        if form is not None:
            form.add_error(None, exc.message)
        else:
            messages.error(request, exc.message)
        return None
    if success:
        messages.success(request, str(success))
    return result
