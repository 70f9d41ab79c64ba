"""Who is told when the platform admin opens a membership that waits for the president.

The DPO's alert is a notification, and notifications sit above accounts: the app that sends it
registers its announcer here when Django starts (docs/conventions.md, "Layers"), so accounts
names no higher app. Announcers run inside the service's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cmer.accounts.models import Membership

Announcer = Callable[["Membership"], None]
_announcers: list[Announcer] = []


def register(announcer: Announcer) -> Announcer:
    if announcer not in _announcers:
        _announcers.append(announcer)
    return announcer


def announce_pending(membership: Membership) -> None:
    for announcer in _announcers:
        announcer(membership)
