"""The menu: each app registers its entries with the predicate that decides who sees them.

The predicate comes from the registering app's `permissions.py` (a callable taking the current
membership), so the menu shows exactly the pages the access policy lets the person open, and this
module knows nothing of roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

# A predicate of an app's permissions.py: called with a current membership (never None here).
Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str | Promise
    visible: Predicate
    order: int = 100


_entries: list[MenuEntry] = []


def register(url_name: str, label: str | Promise, *, visible: Predicate, order: int = 100) -> None:
    """Add a menu entry shown to the memberships for which `visible(membership)` is true."""
    if not callable(visible):
        raise TypeError(f"menu entry {url_name!r}: `visible` must be a predicate of permissions.py")
    _entries.append(MenuEntry(url_name, label, visible, order))
    _entries.sort(key=lambda e: e.order)


def menu_for(request: HttpRequest, membership: Any) -> list[dict[str, Any]]:
    if membership is None:
        return []
    path = request.path_info
    items = []
    for entry in _entries:
        if entry.visible(membership):
            url = reverse(entry.url_name)
            items.append({"url": url, "label": entry.label, "active": path == url})
    return items
