"""The scheduled deletion date every case shows, kept current by the cases services.

The retention rules that compute it belong to the privacy app, which builds on cases (it purges
them). So that cases never imports privacy, privacy registers its rule here when Django starts
(PrivacyConfig.ready); cases stores the date, audited, after each change that may move it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from cmer.audit.services import record
from cmer.cases.models import Case

DeletionRule = Callable[[Case], date]
_rule: DeletionRule | None = None


def register_deletion_rule(rule: DeletionRule) -> None:
    """Set the function giving a case's deletion date (privacy's retention rules)."""
    global _rule
    _rule = rule


@transaction.atomic
def case_deletion_date_refresh(*, case: Case) -> date:
    """Store the case's scheduled deletion date as the registered rule computes it today.

    Call after any change that moves it (opening, transition, closure); the purge also keeps it
    current daily. An audit event is written only when the date moves.
    """
    if _rule is None:
        raise ImproperlyConfigured("No deletion rule registered: cmer.privacy must be installed.")
    case = Case.objects.select_related("person").get(pk=case.pk)
    day = _rule(case)
    if case.scheduled_deletion != day:
        Case.objects.filter(pk=case.pk).update(scheduled_deletion=day)
        record(action="retention.schedule", cell=case.cell_id, target=case, data={"on": day.isoformat()})
    return day
