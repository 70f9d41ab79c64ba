"""Notification kinds of case follow-up, and the daily reminder of actions falling due.

The reminder is idempotent: it finds who was already reminded by the notification's target
(the action), so each person is reminded once per action.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.accounts.roles import Role
from cmer.cases.models import Action, ActionResult
from cmer.notifications.kinds import register, register_reminder
from cmer.notifications.models import Notification
from cmer.notifications.services import notify

ACTION_DUE_WITHIN_DAYS = 7

ACTION_DUE = register(
    "action_due",
    label=_("Action arrivant à échéance"),
    email_line=_("Une action de suivi arrive à échéance."),
    link=lambda pk: reverse("support:action", kwargs={"pk": pk}) if pk else None,
    target_type="cases.action",
)


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
        already = set(
            Notification.objects.about_object(action)
            .filter(kind=ACTION_DUE)
            .values_list("recipient_id", flat=True)
        )
        todo = [u for u in recipients if u.pk not in already]
        if todo:
            with transaction.atomic():
                created += len(notify(recipients=todo, kind=ACTION_DUE, cell=cell, target=action))
    return created


register_reminder("action_due", action_due_notify)
