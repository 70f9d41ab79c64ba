"""Writes of the privacy app: retention policy, scheduled deletion dates, rights requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.notifications.services import notify
from cmer.privacy.models import RetentionPolicy, RightsRequest, RightsStatus
from cmer.privacy.notifications import RIGHTS_REQUEST_DUE
from cmer.privacy.retention import add_months, scheduled_deletion

POLICY_FIELDS = (
    "dismissed_days",
    "archive_years",
    "young_age_limit",
    "young_max_age",
    "adult_cap_years",
    "audit_months",
)
RIGHTS_DUE_KIND = RIGHTS_REQUEST_DUE
REMIND_DAYS_BEFORE = 7


class PrivacyError(Exception):
    """A refused change, with a message fit to show the user (French)."""


@transaction.atomic
def case_schedule_refresh(*, case: Case) -> dt.date:
    """Store the case's scheduled deletion date as the retention rules compute it today.

    Call after any change that moves it (transition, closure); the purge also refreshes it daily.
    """
    case = Case.objects.select_related("person").get(pk=case.pk)
    day = scheduled_deletion(case)
    if case.scheduled_deletion != day:
        Case.objects.filter(pk=case.pk).update(scheduled_deletion=day)
        record(action="retention.schedule", cell=case.cell_id, target=case, data={"on": day.isoformat()})
    return day


@transaction.atomic
def policy_update(*, cell: Cell, values: dict[str, Any], by: Membership) -> RetentionPolicy:
    """Change the cell's retention durations; any change needs the DPO's validation again."""
    policy, _ = RetentionPolicy.objects.select_for_update().get_or_create(cell=cell)
    changed = [name for name in POLICY_FIELDS if name in values and getattr(policy, name) != values[name]]
    for name in changed:
        setattr(policy, name, values[name])
    if changed:
        policy.validated_by = None
        policy.validated_at = None
        policy.save()
        record(
            action="retention.policy_update",
            actor=by.user_id,
            cell=cell.pk,
            target=policy,
            data={name: getattr(policy, name) for name in changed},
        )
    return policy


@transaction.atomic
def policy_validate(*, cell: Cell, by: Membership) -> RetentionPolicy:
    """The DPO validates the cell's policy as it stands (docs/rules.md §8)."""
    if by.role != Role.DPO or by.cell_id != cell.pk:
        raise PrivacyError("Seul le délégué à la protection des données de la cellule valide la politique.")
    policy, _ = RetentionPolicy.objects.select_for_update().get_or_create(cell=cell)
    policy.validated_by = by
    policy.validated_at = timezone.now()
    policy.save(update_fields=["validated_by", "validated_at", "updated_at"])
    record(action="retention.policy_validate", actor=by.user_id, cell=cell.pk, target=policy)
    return policy


@transaction.atomic
def rights_request_create(
    *, cell: Cell, reference: str, kind: str, received_on: dt.date, by: Membership
) -> RightsRequest:
    """Register a request; the legal deadline is one month after receipt (GDPR art. 12(3))."""
    if received_on > timezone.localdate():
        raise PrivacyError("La date de réception ne peut pas être dans le futur.")
    request = RightsRequest.objects.create(
        cell=cell,
        reference=reference,
        kind=kind,
        received_on=received_on,
        deadline=add_months(received_on, 1),
        created_by=by,
    )
    record(action="rights.create", actor=by.user_id, cell=cell.pk, target=request, data={"kind": kind})
    return request


@transaction.atomic
def rights_request_update(
    *, request: RightsRequest, status: str, outcome: str, by: Membership
) -> RightsRequest:
    """Move a request forward; closing it requires an outcome from the closed list."""
    locked = RightsRequest.objects.select_for_update().get(pk=request.pk)
    if locked.cell_id != by.cell_id:
        raise PrivacyError("Cette demande n'appartient pas à votre cellule.")
    if locked.status == RightsStatus.CLOSED:
        raise PrivacyError("Cette demande est close.")
    if status == RightsStatus.CLOSED and not outcome:
        raise PrivacyError("Indiquez la suite donnée pour clore la demande.")
    locked.status = status
    locked.outcome = outcome if status == RightsStatus.CLOSED else ""
    locked.closed_on = timezone.localdate() if status == RightsStatus.CLOSED else None
    locked.save(update_fields=["status", "outcome", "closed_on"])
    record(
        action="rights.update",
        actor=by.user_id,
        cell=locked.cell_id,
        target=locked,
        data={"status": status, "outcome": locked.outcome},
    )
    return locked


def rights_reminders_send(*, today: dt.date | None = None) -> int:
    """Notify each cell's DPO once about open requests due within 7 days. Safe to run repeatedly."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=REMIND_DAYS_BEFORE)
    sent = 0
    due = RightsRequest.objects.exclude(status=RightsStatus.CLOSED).filter(
        deadline__lte=horizon, reminded_at__isnull=True
    )
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            item = RightsRequest.objects.select_for_update().filter(pk=pk, reminded_at__isnull=True).first()
            if item is None:
                continue
            dpos = [
                m.user
                for m in Membership.objects.active(today)
                .filter(cell_id=item.cell_id, role=Role.DPO)
                .select_related("user")
            ]
            notify(recipients=dpos, kind=RIGHTS_DUE_KIND, cell=item.cell, target=item)
            item.reminded_at = timezone.now()
            item.save(update_fields=["reminded_at"])
            record(action="rights.reminder", cell=item.cell_id, target=item, data={"recipients": len(dpos)})
            sent += 1
    return sent
