"""Dashboard widgets: each app registers a function returning its widget for a membership."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

WidgetFn = Callable[[HttpRequest, Any], "dict[str, Any] | None"]
_widgets: list[tuple[int, WidgetFn]] = []


def register(fn: WidgetFn, order: int = 100) -> WidgetFn:
    _widgets.append((order, fn))
    _widgets.sort(key=lambda w: w[0])
    return fn


def widgets_for(request: HttpRequest, membership) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    out = []
    for _order, fn in _widgets:
        widget = fn(request, membership)
        if widget:
            out.append(widget)
    return out
