"""The menu: each app registers its entries with the predicate that decides who sees them.

The predicate comes from the registering app's `permissions.py` (a callable taking the current
membership), so the menu shows exactly the pages the access policy lets the person open, and this
module knows nothing of roles.

Entries are grouped by domain into DSFR sub-menus (`SECTIONS`); a section with a single visible
entry is shown as that entry's own link, so a reporter's short menu stays flat. The section of
the current page is marked (aria-current), the current page too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# A predicate of an app's permissions.py: called with a current membership (never None here).
Predicate = Callable[[Any], bool]

# Domains of the menu, in this order. Keys are what apps pass as `section=`; the labels are
# generic words, so the core names no app.
SECTIONS: dict[str, str | Promise] = {
    "referrals": _("Signalements"),
    "cases": _("Situations"),
    "meetings": _("Réunions"),
    "state": _("État"),
    "training": _("Formation"),
    "data": _("Données & DPO"),
    "cell": _("Cellule"),
}


@dataclass(frozen=True)
class MenuEntry:
    url_name: str
    label: str | Promise
    visible: Predicate
    order: int = 100
    section: str = ""  # "" = a top-level link of its own (the dashboard)


_entries: list[MenuEntry] = []


def register(
    url_name: str, label: str | Promise, *, visible: Predicate, order: int = 100, section: str = ""
) -> None:
    """Add a menu entry shown to the memberships for which `visible(membership)` is true."""
    if not callable(visible):
        raise TypeError(f"menu entry {url_name!r}: `visible` must be a predicate of permissions.py")
    if section and section not in SECTIONS:
        raise ValueError(f"menu entry {url_name!r}: unknown section {section!r} (see SECTIONS)")
    _entries.append(MenuEntry(url_name, label, visible, order, section))
    _entries.sort(key=lambda e: e.order)


def _current(path: str, urls: list[str]) -> str | None:
    """The entry of the page shown: an exact match, else the longest entry URL the path is under."""
    if path in urls:
        return path
    under = [u for u in urls if u != "/" and path.startswith(u)]
    return max(under, key=len) if under else None


def menu_for(request: HttpRequest, membership: Any) -> list[dict[str, Any]]:
    """The entries the membership may open, in order, each with its section and whether it is current."""
    if membership is None:
        return []
    visible = [(entry, reverse(entry.url_name)) for entry in _entries if entry.visible(membership)]
    current = _current(request.path_info, [url for _entry, url in visible])
    return [
        {"url": url, "label": entry.label, "active": url == current, "section": entry.section}
        for entry, url in visible
    ]


def sections_for(menu: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The menu grouped: top-level links and DSFR sub-menus, one-entry sections flattened."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in menu:
        groups.setdefault(item["section"], []).append(item)
    out: list[dict[str, Any]] = [{"link": item} for item in groups.pop("", [])]
    for key, label in SECTIONS.items():
        items = groups.get(key, [])
        if len(items) == 1:
            out.append({"link": items[0]})
        elif items:
            active = any(item["active"] for item in items)
            out.append({"key": key, "label": label, "items": items, "active": active})
    return out
