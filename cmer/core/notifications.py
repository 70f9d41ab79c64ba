"""notify(): the in-app inbox. E-mail delivery (no personal data) is added by the exchange issue."""

from __future__ import annotations

from collections.abc import Iterable

from cmer.core.models import Notification


def notify(*, recipients: Iterable, kind: str, cell=None, url: str = "") -> list[Notification]:  # type: ignore[no-untyped-def]
    """Create one notification per distinct recipient, in the caller's transaction."""
    seen: set[int] = set()
    created = []
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        created.append(Notification(recipient=user, cell=cell, kind=kind, url=url))
    return Notification.objects.bulk_create(created)
