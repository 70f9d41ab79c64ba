"""Writes of the privacy app: retention policy and rights requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role
from cmer.audit.services import record
from cmer.cases.models import Case
from cmer.core.errors import DomainError
from cmer.notifications.services import notify
from cmer.privacy.models import POLICY_FIELDS, RetentionPolicy, RightsRequest, RightsStatus
from cmer.privacy.notifications import RIGHTS_REQUEST_DUE
from cmer.privacy.permissions import can_validate_retention
from cmer.privacy.retention import add_months, deletion_due, policy_for

RIGHTS_DUE_KIND = RIGHTS_REQUEST_DUE
REMIND_DAYS_BEFORE = 7


class PrivacyError(DomainError):
    """A refused change of the retention policy or of a rights request (French, via gettext)."""


@transaction.atomic
def policy_update(*, cell: Cell, values: dict[str, Any], by: Membership) -> RetentionPolicy:
    """Change the cell's retention durations; any change needs the DPO's validation again.

    Until then the purge keeps applying the last validated durations (or the defaults).
    """
    policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(cell=cell)
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
    if not can_validate_retention(by) or by.cell_id != cell.pk:
        raise PrivacyError(
            _("Seul le délégué à la protection des données de la cellule valide la politique."),
            code="not_cell_dpo",
        )
    policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(cell=cell)
    policy.validated_by = by
    policy.validated_at = policy.last_validated_at = timezone.now()
    policy.validated_values = {name: getattr(policy, name) for name in POLICY_FIELDS}
    policy.save(
        update_fields=["validated_by", "validated_at", "last_validated_at", "validated_values", "updated_at"]
    )
    moved = cell_schedules_refresh(cell=cell)
    record(
        action="retention.policy_validate",
        actor=by.user_id,
        cell=cell.pk,
        target=policy,
        data={"rescheduled": moved},
    )
    return policy


@transaction.atomic
def cell_schedules_refresh(*, cell: Cell) -> int:
    """Store every case's deletion date under the policy now in force; returns how many moved.

    The daily purge reads only the cases whose stored date has come (cmer/privacy/purge.py), so a
    validated policy must move the dates at once, not at the next weekly sweep. Each case is locked
    while its date is computed, so a transition at the same moment cannot store an older one.
    One audit event per moved date, as case_deletion_date_refresh writes for one case.
    """
    policy = policy_for(cell.pk)
    moved = 0
    ids = list(Case.objects.filter(cell=cell).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), 200):
        batch = Case.objects.select_for_update(of=("self",)).select_related("person")
        for case in batch.filter(pk__in=ids[start : start + 200]).order_by("pk"):
            day = deletion_due(case, policy).on
            if case.scheduled_deletion != day:
                Case.objects.filter(pk=case.pk).update(scheduled_deletion=day)
                record(action="retention.schedule", cell=cell.pk, target=case, data={"on": day.isoformat()})
                moved += 1
    return moved


@transaction.atomic
def rights_request_create(
    *, cell: Cell, reference: str, kind: str, received_on: dt.date, by: Membership
) -> RightsRequest:
    """Register a request; the legal deadline is one month after receipt (GDPR art. 12(3))."""
    if received_on > timezone.localdate():
        raise PrivacyError(_("La date de réception ne peut pas être dans le futur."), code="future_date")
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
        raise PrivacyError(_("Cette demande n'appartient pas à votre cellule."), code="other_cell")
    if locked.status == RightsStatus.CLOSED:
        raise PrivacyError(_("Cette demande est close."), code="closed")
    if status == RightsStatus.CLOSED and not outcome:
        raise PrivacyError(_("Indiquez la suite donnée pour clore la demande."), code="outcome_missing")
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
