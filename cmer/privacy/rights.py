"""Rights requests carried out (GDPR art. 15–18): the access extract, rectification, erasure.

docs/rules.md §13. The access extract holds what the cell holds on the person and nothing about
anyone else: no agent, member or legal representative is named, and the préfet's compartment
(docs/rules.md §6) is never read here. Rectification records which
fields changed, never their values; erasure goes through the purge (cmer/privacy/purge.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Membership
from cmer.audit.services import record
from cmer.cases.models import Case, Person, Rectification, RectificationReason, Transition
from cmer.cases.persons import is_minor, person_name_index
from cmer.cases.schedule import case_deletion_date_refresh
from cmer.core import crypto
from cmer.core.errors import DomainError
from cmer.exchange.models import Transmission
from cmer.meetings.models import Decision
from cmer.referrals.models import Observation, Referral

# Identity fields a rectification may change (Person's columns); the rest is derived.
IDENTITY_FIELDS = (
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "address",
    "phone",
    "email",
    "situation",
    "legal_representatives",
)


class RightsError(DomainError):
    """A refused rectification or erasure; nothing changed."""


@dataclass
class CaseExtract:
    case: Case
    referrals: list[Referral] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)
    transmissions: list[Transmission] = field(default_factory=list)


def access_extract(persons: list[Person]) -> list[tuple[Person, list[CaseExtract]]]:
    """What the cell holds on these persons (one person may have been recorded more than once).

    Reads no name of anyone else: the querysets select no membership, no user, and nothing of the
    préfet's compartment.
    """
    out = []
    for person in persons:
        extracts = []
        for case in Case.objects.filter(person=person).order_by("opened_at"):
            extracts.append(
                CaseExtract(
                    case=case,
                    referrals=list(
                        Referral.objects.filter(case=case).prefetch_related("observations__indicator")
                    ),
                    transitions=list(Transition.objects.filter(case=case).select_related("case")),
                    decisions=list(Decision.objects.filter(item__case=case).select_related("item__meeting")),
                    actions=list(case.actions.all()),
                    transmissions=list(Transmission.objects.filter(case=case, approved_at__isnull=False)),
                )
            )
        out.append((person, extracts))
    return out


@transaction.atomic
def person_rectify(
    *,
    person: Person,
    values: dict[str, Any],
    facts: dict[int, str],
    reason: str,
    by: Membership,
) -> Rectification | None:
    """Correct identity fields and observed facts; keep that they changed, never the old values.

    The blind index follows the corrected name and birth date, so the person is found under the
    new identity and no more under the old one. Returns None when nothing changed.
    """
    if reason not in RectificationReason.values:
        raise RightsError(_("Motif de rectification inconnu."), code="unknown_reason")
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.cell_id != by.cell_id:
        raise RightsError(_("Cette personne n'est pas suivie par votre cellule."), code="other_cell")
    changed = []
    for name in IDENTITY_FIELDS:
        if name not in values:
            continue
        new = values[name]
        if name == "birth_date":
            assert isinstance(new, dt.date)
            if new > dt.date.today():
                raise RightsError(_("La date de naissance ne peut pas être dans le futur."), code="future")
            new = new.isoformat()
        new = (new or "").strip() if isinstance(new, str) else new
        if name in ("last_name", "first_name") and not new:
            raise RightsError(_("Le nom et le prénom sont obligatoires."), code="empty_name")
        if new != getattr(locked, name):
            setattr(locked, name, new)
            changed.append(name)
    observations = {
        o.pk: o
        for o in Observation.objects.filter(referral__person=locked, pk__in=list(facts)).select_related(
            "referral"
        )
    }
    if len(observations) != len(facts):
        raise RightsError(_("Un des faits n'appartient pas à cette personne."), code="foreign_fact")
    fact_changes = 0
    for pk, text in facts.items():
        text = text.strip()
        if not text:
            raise RightsError(_("Un fait rectifié ne peut pas être vide."), code="empty_fact")
        if observations[pk].fact != text:
            observations[pk].fact = text[:300]
            observations[pk].save(update_fields=["fact"])
            fact_changes += 1
    if not changed and not fact_changes:
        return None
    birth = dt.date.fromisoformat(locked.birth_date)
    locked.birth_year = birth.year
    locked.name_index = person_name_index(locked.last_name, locked.first_name, birth)
    locked.key_id = crypto.current_key_id()
    locked.save()
    rectification = Rectification.objects.create(
        person=locked, fields=changed, facts=fact_changes, reason=reason, by=by
    )
    if "birth_date" in changed:
        # "Minor at opening" was derived from the wrong date; the age rules read it and the birth
        # year, and the purge acts on the stored deletion date (docs/rules.md §8).
        for case in Case.objects.filter(person=locked).order_by("pk"):
            minor = is_minor(birth, timezone.localdate(case.opened_at))
            if case.is_minor != minor:
                case.is_minor = minor
                case.save(update_fields=["is_minor"])
            case_deletion_date_refresh(case=case)
    # Field names and counts only: the audit trail never holds a value, old or new.
    record(
        action="person.rectify",
        actor=by.user_id,
        cell=locked.cell_id,
        target=locked,
        # One key per changed field (a joined list could outgrow an audit code).
        data={**{f"field.{name}": True for name in changed}, "facts": fact_changes, "reason": reason},
    )
    person.refresh_from_db()
    return rectification
