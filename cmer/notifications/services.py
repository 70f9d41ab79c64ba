"""notify(): the in-app inbox, plus an e-mail without personal data for those who want one.

The e-mail is a fixed text per kind ("Une action vous attend sur CMER" and a link to the inbox),
sent by a background task once the caller's transaction commits (cmer/notifications/tasks.py).
Marking a notice read and the e-mail preference are changed here too, with their audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from cmer.audit.services import record
from cmer.notifications import kinds
from cmer.notifications.models import Notification, target_of


def notify(
    *, recipients: Iterable[Any], kind: str, cell: Any = None, target: models.Model | None = None
) -> list[Notification]:
    """Create one notification per distinct recipient, in the caller's transaction.

    `kind` must be registered (by the app that owns it); `target` is the object the notice is
    about, kept as a model label and an id. Recipients with e-mail notifications on get an
    e-mail, enqueued only if the transaction commits.
    """
    declared = kinds.get(kind)
    if declared is None:
        raise ValueError(f"Unknown notification kind {kind!r}: register it in its app's notifications.py.")
    target_type, target_id = target_of(target) if target is not None else ("", None)
    if declared.target_type and target is not None and target_type != declared.target_type:
        raise ValueError(f"A {kind!r} notification points at a {declared.target_type}, not a {target_type}.")
    seen: set[int] = set()
    created = []
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        wants_email = bool(user.is_active and user.email and getattr(user, "email_notifications", False))
        created.append(
            Notification(
                recipient=user,
                cell=cell,
                kind=kind,
                target_type=target_type,
                target_id=target_id,
                email_due=wants_email,
            )
        )
    notifications = Notification.objects.bulk_create(created)
    due = [n.pk for n in notifications if n.email_due and n.pk is not None]
    if due:
        # robust: a failed enqueue must not fail the user's committed action; the periodic sweep
        # (send_pending_emails) still finds these notifications, so the e-mail is late, never lost.
        transaction.on_commit(lambda: _enqueue(due), robust=True)
    return notifications


def _enqueue(notification_ids: list[int]) -> None:
    from cmer.notifications.tasks import deliver_notification_emails  # tasks import this module

    deliver_notification_emails.enqueue(notification_ids)


@transaction.atomic
def notification_mark_read(*, notification: Notification, by: Any) -> bool:
    """Mark the recipient's notice read (once); returns whether this call marked it."""
    if notification.recipient_id != by.pk:
        raise ValueError("Only the recipient marks a notification read.")
    marked = (
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        == 1
    )
    if marked:
        record(
            action="notification.read",
            actor=by,
            cell=notification.cell_id,
            target=notification,
            data={"kind": notification.kind},
        )
    return marked


@transaction.atomic
def notifications_mark_read(*, notifications: Any, by: Any) -> int:
    """Mark read every unread notice of `notifications` (a queryset of `by`'s own); one audit event."""
    marked = notifications.filter(recipient_id=by.pk, read_at__isnull=True).update(read_at=timezone.now())
    if marked:
        record(action="notification.read_all", actor=by, target=by, data={"count": marked})
    return int(marked)


@transaction.atomic
def email_preference_set(*, user: Any, enabled: bool) -> None:
    """Turn the notification e-mails on or off for this user; the inbox stays on either way."""
    get_user_model().objects.filter(pk=user.pk).update(email_notifications=enabled)
    user.email_notifications = enabled
    record(action="notifications.preferences", actor=user, target=user, data={"email": enabled})
