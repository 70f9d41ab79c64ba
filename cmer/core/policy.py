"""The one way views apply the access policy: fetch in scope or 404, check a predicate or 403.

Every refusal is written to the audit trail before the exception leaves the view.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from cmer.audit.services import record_denial

M = TypeVar("M", bound=Model)


def get_visible_or_404(request: HttpRequest, queryset: QuerySet[M], **lookup: Any) -> M:
    """The object if it is in the user's scope; otherwise a 404 identical to a missing object."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
        target_id = next(iter(lookup.values()), "")
        record_denial(
            request,
            action="access.not_visible",
            target_type=queryset.model._meta.label_lower,
            target_id=str(target_id)[:64],
        )
        raise Http404 from None


def deny(request: HttpRequest, action: str, obj: Model | None = None) -> PermissionDenied:
    """Audit a refused action and return the exception for the view to raise."""
    record_denial(
        request,
        action=action,
        target_type=obj._meta.label_lower if obj is not None else "",
        target_id=obj.pk if obj is not None else "",
    )
    return PermissionDenied()


def requires(predicate: Callable[[Any], bool], action: str) -> Callable[..., Any]:
    """View decorator: the current membership must satisfy `predicate`, or the refusal is audited."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not predicate(getattr(request, "membership", None)):
                raise deny(request, action)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
