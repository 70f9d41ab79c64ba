"""Informing the people followed (GDPR art. 13/14), or deferring it (art. 23): docs/rules.md §13.

Each person gets a decision within CMER_INFORMATION_DAYS of the opening of their first case:
informed (when, how) or deferred (a reason from a closed list and a review date). A deferral comes
due again on its review date and when one of the person's cases is closed after it. `information_due`
lists every person in one of those three cases for the DPO; nobody escapes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmer.accounts.models import Membership
from cmer.audit.services import record
from cmer.cases.models import (
    Case,
    DeferralReason,
    InformationDecision,
    InformationMethod,
    InformationStatus,
    Person,
)
from cmer.core.errors import DomainError

# Why a person is on the DPO's list (codes; labels for the page).
DUE_KINDS = {
    "undecided": gettext_lazy("aucune décision d'information dans le délai"),
    "review_due": gettext_lazy("report dont la date de réexamen est passée"),
    "closure_review": gettext_lazy("report à réexaminer : situation clôturée depuis"),
}
# A deferral is for a while, not for ever: the review date is at most this far ahead.
MAX_DEFERRAL = dt.timedelta(days=366)


class InformationError(DomainError):
    """A refused information decision; nothing was recorded."""


def information_deadline(opened_at: dt.datetime) -> dt.date:
    return timezone.localdate(opened_at) + dt.timedelta(days=settings.CMER_INFORMATION_DAYS)


@transaction.atomic
def information_decide(
    *,
    person: Person,
    status: str,
    by: Membership,
    informed_on: dt.date | None = None,
    method: str = "",
    deferral_reason: str = "",
    review_on: dt.date | None = None,
) -> InformationDecision:
    """Record that the person was informed (date, means) or why informing them is deferred."""
    if person.cell_id != by.cell_id:
        raise InformationError(_("Cette personne n'est pas suivie par votre cellule."), code="other_cell")
    today = timezone.localdate()
    if status == InformationStatus.INFORMED:
        if informed_on is None or method not in InformationMethod.values:
            raise InformationError(_("Indiquez la date et le moyen de l'information."), code="incomplete")
        if informed_on > today:
            raise InformationError(_("La date d'information ne peut pas être dans le futur."), code="future")
        deferral_reason, review_on = "", None
    elif status == InformationStatus.DEFERRED:
        if deferral_reason not in DeferralReason.values or review_on is None:
            raise InformationError(
                _("Indiquez le motif du report et la date de réexamen."), code="incomplete"
            )
        if not today < review_on <= today + MAX_DEFERRAL:
            raise InformationError(
                _("La date de réexamen doit être dans l'année à venir."), code="review_out_of_range"
            )
        informed_on, method = None, ""
    else:
        raise InformationError(_("Décision inconnue."), code="unknown_status")
    decision = InformationDecision.objects.create(
        person=person,
        status=status,
        informed_on=informed_on,
        method=method,
        deferral_reason=deferral_reason,
        review_on=review_on,
        decided_by=by,
    )
    record(
        action="person.information",
        actor=by.user_id,
        cell=person.cell_id,
        target=person,
        data={"status": status, "method": method, "reason": deferral_reason},
    )
    return decision


@dataclass(frozen=True)
class InformationDue:
    person_id: int
    case_id: int
    reference: str
    kind: str
    since: dt.date

    @property
    def label(self) -> str:
        return str(DUE_KINDS[self.kind])


def information_due(cell_id: int, today: dt.date | None = None) -> list[InformationDue]:
    """Persons of the cell without a valid information decision: one query, whatever the size."""
    today = today or timezone.localdate()
    latest = InformationDecision.objects.filter(person=OuterRef("pk")).order_by("-decided_at", "-pk")
    newest_case = Case.objects.filter(person=OuterRef("pk")).order_by("-opened_at", "-pk")
    persons = (
        Person.objects.filter(cell_id=cell_id, cases__isnull=False)
        .annotate(
            first_opened=Min("cases__opened_at"),
            last_closed=Max("cases__closed_at"),
            last_status=Subquery(latest.values("status")[:1]),
            last_review=Subquery(latest.values("review_on")[:1]),
            last_at=Subquery(latest.values("decided_at")[:1]),
            case_id=Subquery(newest_case.values("pk")[:1]),
            reference=Subquery(newest_case.values("reference")[:1]),
        )
        .values(
            "pk",
            "first_opened",
            "last_closed",
            "last_status",
            "last_review",
            "last_at",
            "case_id",
            "reference",
        )
        .order_by("first_opened", "pk")
    )
    due: list[InformationDue] = []
    for p in persons:
        kind, since = "", today
        if p["last_status"] is None:
            deadline = information_deadline(p["first_opened"])
            if deadline < today:
                kind, since = "undecided", deadline
        elif p["last_status"] == InformationStatus.DEFERRED:
            if p["last_review"] < today:
                kind, since = "review_due", p["last_review"]
            elif p["last_closed"] is not None and p["last_closed"] > p["last_at"]:
                kind, since = "closure_review", timezone.localdate(p["last_closed"])
        if kind:
            due.append(InformationDue(p["pk"], p["case_id"], p["reference"], kind, since))
    return due
