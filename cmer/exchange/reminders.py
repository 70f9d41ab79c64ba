"""Scheduled reminders that no user action triggers: actions falling due, a charter to accept.

Run daily by `manage.py notify_reminders` (with the overdue-feedback reminder). Each is
idempotent: a person is reminded once per action, once per charter version.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cmer.accounts.models import Membership
from cmer.accounts.roles import Role
from cmer.cases.models import Action, ActionResult
from cmer.core.models import Notification, NotificationKind
from cmer.core.notifications import notify

ACTION_DUE_WITHIN_DAYS = 7


def action_due_notify(*, today: date | None = None) -> int:
    """Remind the members of the action's service (or the coordinator) once, a week before its due date."""
    today = today or timezone.localdate()
    actions = Action.objects.filter(
        result__in=[ActionResult.PLANNED, ActionResult.IN_PROGRESS],
        end_on__lte=today + timedelta(days=ACTION_DUE_WITHIN_DAYS),
    ).select_related("case__cell")
    created = 0
    for action in actions:
        cell = action.case.cell
        active = Membership.objects.active(today).filter(cell=cell).select_related("user")
        owners = [
            m.user for m in active.filter(service=action.service, role__in=[Role.MEMBER, Role.STATE_MEMBER])
        ]
        recipients = owners or [m.user for m in active.filter(role=Role.COORDINATOR)]
        url = reverse("support:action", kwargs={"pk": action.pk})
        already = set(
            Notification.objects.filter(kind=NotificationKind.ACTION_DUE, url=url).values_list(
                "recipient_id", flat=True
            )
        )
        todo = [u for u in recipients if u.pk not in already]
        if todo:
            with transaction.atomic():
                created += len(notify(recipients=todo, kind=NotificationKind.ACTION_DUE, cell=cell, url=url))
    return created


def charter_to_accept_notify(*, today: date | None = None) -> int:
    """Remind each active member once per charter version they have not accepted yet."""
    today = today or timezone.localdate()
    created = 0
    url = reverse("accounts:charter")
    for membership in Membership.objects.active(today).select_related("cell", "user"):
        charter = membership.cell.current_charter()
        if charter is None or membership.charter_acceptances.filter(charter=charter).exists():
            continue
        since = timezone.make_aware(datetime.combine(charter.effective_date, time.min))
        if Notification.objects.filter(
            recipient=membership.user,
            cell=membership.cell,
            kind=NotificationKind.CHARTER_TO_ACCEPT,
            created_at__gte=since,
        ).exists():
            continue
        with transaction.atomic():
            created += len(
                notify(
                    recipients=[membership.user],
                    kind=NotificationKind.CHARTER_TO_ACCEPT,
                    cell=membership.cell,
                    url=url,
                )
            )
    return created
