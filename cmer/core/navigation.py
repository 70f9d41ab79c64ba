"""The role menu: each app registers its entries; the shell shows those the role may use."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str | Promise
    roles: frozenset[str]
    order: int = 100


_entries: list[MenuEntry] = []


def register(url_name: str, label: str | Promise, roles: set[str], order: int = 100) -> None:
    _entries.append(MenuEntry(url_name, label, frozenset(roles), order))
    _entries.sort(key=lambda e: e.order)


def menu_for(request: HttpRequest, membership) -> list[dict]:  # type: ignore[no-untyped-def]
    if membership is None:
        return []
    path = request.path_info
    items = []
    for entry in _entries:
        if membership.role in entry.roles:
            url = reverse(entry.url_name)
            items.append({"url": url, "label": entry.label, "active": path == url})
    return items
