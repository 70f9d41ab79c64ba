"""Dashboard widgets: each app registers a widget function with the predicate that shows it.

The predicate comes from the registering app's `permissions.py`; the widget function is only
called for a membership the predicate accepts, so it computes its counts and never tests a role.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from cmer.core.navigation import Predicate

WidgetFn = Callable[[HttpRequest, Any], "dict[str, Any] | None"]
_widgets: list[tuple[int, Predicate, WidgetFn]] = []


def register(fn: WidgetFn, *, visible: Predicate, order: int = 100) -> WidgetFn:
    """Show `fn`'s widget to the memberships for which `visible(membership)` is true."""
    if not callable(visible):
        raise TypeError(f"widget {fn.__name__}: `visible` must be a predicate of permissions.py")
    _widgets.append((order, visible, fn))
    _widgets.sort(key=lambda w: w[0])
    return fn


def widgets_for(request: HttpRequest, membership: Any) -> list[dict[str, Any]]:
    out = []
    for _order, visible, fn in _widgets:
        if not visible(membership):
            continue
        widget = fn(request, membership)
        if widget:
            out.append(widget)
    return out
