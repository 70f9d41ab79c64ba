"""The DPO's reading scopes over other apps' records: what the console lists, and nothing more.

Like a `visible_to` queryset, each function returns nothing to anyone but the cell's DPO, and only
the current cell's rows to the DPO. They live here, not on the audit or accounts models, because
the DPO is a privacy notion: those lower apps must not import this one.
"""

from __future__ import annotations

from django.db.models import QuerySet

from cmer.accounts.models import CharterAcceptance, Membership
from cmer.audit.models import AuditEvent
from cmer.privacy.permissions import can_use_dpo_console


def audit_events_visible_to(membership: Membership | None) -> QuerySet[AuditEvent]:
    """The audit trail of the DPO's cell (events of no cell, such as sign-ins, are not in it)."""
    if membership is None or not can_use_dpo_console(membership):
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(cell_id=membership.cell_id)


def charter_acceptances_visible_to(membership: Membership | None) -> QuerySet[CharterAcceptance]:
    """Who accepted which version of the cell's charter, for the DPO of that cell."""
    if membership is None or not can_use_dpo_console(membership):
        return CharterAcceptance.objects.none()
    return CharterAcceptance.objects.filter(membership__cell_id=membership.cell_id)


def accounts_visible_to(membership: Membership | None) -> QuerySet[Membership]:
    """The cell's memberships, ended ones included, so the DPO can check access was removed."""
    if membership is None or not can_use_dpo_console(membership):
        return Membership.objects.none()
    return Membership.objects.filter(cell_id=membership.cell_id)
