"""E-mail delivery of notifications: background tasks, no personal data, at least once.

Design (docs/security.md #6, #21):
- The e-mail is a fixed text chosen by the notification kind (the line its app registered). It
  never reads the notification's target, cell or any object: nothing about a person can reach a
  mailbox.
- Claim, send, mark. A worker claims a notification with one conditional UPDATE (only one writer
  can win it, on SQLite and PostgreSQL alike), sends it over SMTP, then sets `emailed_at`.
  SMTP cannot take part in a database transaction, so a crash between "sent" and "marked" makes
  the e-mail go out again later: delivery is AT LEAST ONCE, never zero. The Message-ID is derived
  from the notification's public id (ADR 0009), so a resend is recognisable as the same message
  and no mailbox learns how many notifications the platform has sent.
- A claim is a lease (CMER_EMAIL_CLAIM_SECONDS): if its worker died, `sweep_notification_emails`
  (run by `manage.py send_pending_emails` from cron, or after a worker restart) takes it over.
- A failed send releases the claim and schedules a retry with a growing delay, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from cmer.core.public_ids import public_id
from cmer.notifications import kinds
from cmer.notifications.models import Notification
from cmer.notifications.reminders import run_daily_reminders

logger = logging.getLogger("cmer.notifications")

MAX_ATTEMPTS = 5
RETRY_DELAYS = [60, 300, 900, 3600]  # seconds after attempt 1, 2, 3, 4
SUBJECT = "Une action vous attend sur CMER"

GENERIC_LINE = "Un élément demande votre attention."

BODY = """Bonjour,

{line}

Consultez vos notifications sur la plateforme :
{inbox}

Ce courriel ne contient volontairement aucune information sur les situations suivies.
Vous pouvez désactiver ces courriels dans vos préférences de notification ; les notifications
restent visibles sur la plateforme.

— CMER
"""


def _line(kind_value: str) -> str:
    """What needs attention, in words its app chose to say nothing about anyone."""
    kind = kinds.get(kind_value)
    return str(kind.email_line) if kind else GENERIC_LINE


def email_for(notification: Notification) -> EmailMessage:
    """The message for a notification: fixed subject, fixed body for its kind, inbox link only."""
    body = BODY.format(
        line=_line(notification.kind),
        inbox=settings.CMER_SITE_URL + reverse("notifications:inbox"),
    )
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "cmer.localhost"
    return EmailMessage(
        subject=SUBJECT,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"Message-ID": f"<notification-{public_id('notification', notification.pk)}@{domain}>"},
    )


def _claimable(stale_before: datetime) -> Q:
    return Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale_before)


def _lease(lease_seconds: int | None) -> int:
    return settings.CMER_EMAIL_CLAIM_SECONDS if lease_seconds is None else lease_seconds


def _claim(notification_id: int, lease_seconds: int | None = None) -> Notification | None:
    """Take the notification for this worker, or None if it is done, not due, or held by another."""
    now = timezone.now()
    stale_before = now - timedelta(seconds=_lease(lease_seconds))
    won = (
        Notification.objects.filter(
            _claimable(stale_before),
            pk=notification_id,
            email_due=True,
            emailed_at__isnull=True,
            email_attempts__lt=MAX_ATTEMPTS,
        ).update(email_claimed_at=now, email_attempts=F("email_attempts") + 1)
        == 1
    )
    if not won:
        return None
    return Notification.objects.select_related("recipient").get(pk=notification_id)


def deliver_one(notification_id: int, lease_seconds: int | None = None) -> str:
    """Claim, send, mark one notification's e-mail. Returns "sent", "skipped" or "retry"."""
    notification = _claim(notification_id, lease_seconds)
    if notification is None:
        return "skipped"
    recipient = notification.recipient
    if not (recipient.is_active and recipient.email and recipient.email_notifications):
        # The preference was turned off after the notice was created: respect it, keep the inbox.
        Notification.objects.filter(pk=notification_id).update(email_due=False, email_claimed_at=None)
        return "skipped"
    try:
        email_for(notification).send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        Notification.objects.filter(pk=notification_id).update(email_claimed_at=None)
        attempts = notification.email_attempts
        logger.warning(
            "notification e-mail failed id=%s attempt=%s error=%s",
            notification_id,
            attempts,
            type(exc).__name__,
        )
        if attempts < MAX_ATTEMPTS:
            delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
            deliver_notification_emails.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                [notification_id]
            )
        return "retry"
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())
    return "sent"


@task()
def deliver_notification_emails(notification_ids: list[int]) -> dict[str, int]:
    """Send the e-mails of these notifications (each at least once, see the module docstring)."""
    counts = {"sent": 0, "skipped": 0, "retry": 0}
    for notification_id in notification_ids:
        counts[deliver_one(int(notification_id))] += 1
    return counts


def pending_ids(stale_seconds: int | None = None) -> list[int]:
    """Notifications whose e-mail is due, not sent, and not held by a live claim."""
    stale_before = timezone.now() - timedelta(seconds=_lease(stale_seconds))
    return list(
        Notification.objects.filter(
            _claimable(stale_before), email_due=True, emailed_at__isnull=True, email_attempts__lt=MAX_ATTEMPTS
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def sweep(stale_seconds: int | None = None) -> dict[str, int]:
    """Deliver every pending e-mail, taking over claims older than the lease (a dead worker's)."""
    counts = {"sent": 0, "skipped": 0, "retry": 0}
    for notification_id in pending_ids(stale_seconds):
        counts[deliver_one(notification_id, stale_seconds)] += 1
    return counts


@task()
def sweep_notification_emails(stale_seconds: int | None = None) -> dict[str, int]:
    return sweep(stale_seconds)


@task()
def send_daily_reminders() -> dict[str, int]:
    """Background version of `manage.py notify_reminders`: every registered reminder, once each."""
    return run_daily_reminders()
