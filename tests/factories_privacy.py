"""Objects of the privacy app for tests and the permission matrix."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cmer.privacy.models import POLICY_FIELDS, PurgeReport, PurgeStatus, RetentionPolicy, RightsRequest
from cmer.privacy.retention import add_months
from tests.personas import CellWorld


def make_report(c: CellWorld, **kw: object) -> PurgeReport:
    fields: dict = {
        "cell": c.cell,
        "as_of": timezone.localdate(),
        "dry_run": False,
        "trigger": "command",
        "started_at": timezone.now(),
        "finished_at": timezone.now(),
        "status": PurgeStatus.DONE,
        "counts": {"cases.Case": 2, "archived": 1},
        **kw,
    }
    return PurgeReport.objects.create(**fields)


def make_rights_request(c: CellWorld, *, received_on: dt.date | None = None, **kw: object) -> RightsRequest:
    received_on = received_on or timezone.localdate()
    fields: dict = {
        "cell": c.cell,
        "reference": "COUR-2026-001",
        "kind": "access",
        "received_on": received_on,
        "deadline": add_months(received_on, 1),
        "created_by": c.members["dpo"],
        **kw,
    }
    return RightsRequest.objects.create(**fields)


def validated_policy(cell, **values: int) -> RetentionPolicy:
    """A retention policy the DPO validated as it stands (what the purge applies)."""
    policy = RetentionPolicy(cell=cell, **values)
    policy.validated_at = policy.last_validated_at = timezone.now()
    policy.validated_values = {name: getattr(policy, name) for name in POLICY_FIELDS}
    policy.save()
    return policy
