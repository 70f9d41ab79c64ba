"""notify(): the in-app inbox, plus an e-mail without personal data for those who want one.

The e-mail is a fixed text per kind ("Une action vous attend sur CMER" and a link to the inbox),
sent by a background task once the caller's transaction commits (cmer/core/tasks.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from cmer.core.models import Notification


def _internal(url: str) -> str:
    """Only a path of this site may be stored: the inbox redirects to it (no open redirect)."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url and len(url) <= 200:
        return url
    return ""


def notify(*, recipients: Iterable[Any], kind: str, cell: Any = None, url: str = "") -> list[Notification]:
    """Create one notification per distinct recipient, in the caller's transaction.

    Recipients with e-mail notifications on get an e-mail, enqueued only if the transaction commits.
    """
    seen: set[int] = set()
    created = []
    safe_url = _internal(url)
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        wants_email = bool(user.is_active and user.email and getattr(user, "email_notifications", False))
        created.append(
            Notification(recipient=user, cell=cell, kind=kind, url=safe_url, email_due=wants_email)
        )
    notifications = Notification.objects.bulk_create(created)
    due = [n.pk for n in notifications if n.email_due and n.pk is not None]
    if due:
        # robust: a failed enqueue must not fail the user's committed action; the periodic sweep
        # (send_pending_emails) still finds these notifications, so the e-mail is late, never lost.
        transaction.on_commit(lambda: _enqueue(due), robust=True)
    return notifications


def _enqueue(notification_ids: list[int]) -> None:
    from cmer.core.tasks import deliver_notification_emails

    deliver_notification_emails.enqueue(notification_ids)
