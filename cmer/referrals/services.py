"""Intake of a signalement: one atomic step creating the person, the case, the referral and its facts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Membership
from cmer.accounts.roles import URGENT_ALERTED, Role
from cmer.audit.services import record
from cmer.cases.persons import find_known_persons, person_create
from cmer.cases.services import case_open
from cmer.cases.states import State
from cmer.core.errors import DomainError
from cmer.notifications.services import notify
from cmer.referrals.models import Observation, ObservationMode, Referral, Source
from cmer.referrals.notifications import KNOWN_PERSON, REFERRAL_TO_QUALIFY, URGENT_REFERRAL
from cmer.referrals.permissions import can_choose_source
from cmer.training.models import CatalogueVersion, Indicator

# Unambiguous characters for references read over the phone (no 0/O, 1/I).
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class ReferralError(DomainError):
    """Refused intake; nothing was recorded."""


@dataclass(frozen=True)
class Identity:
    last_name: str
    first_name: str
    birth_date: date
    sex: str = "X"
    address: str = ""
    phone: str = ""
    email: str = ""
    situation: str = ""
    legal_representatives: str = ""


def acknowledgement_reference(cell_code: str, year: int) -> str:
    return f"AR-{cell_code}-{year}-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def _check_observations(version: CatalogueVersion, observations: list[dict[str, Any]]) -> list[Indicator]:
    if not observations:
        raise ReferralError(_("Indiquez au moins un fait observé."), code="no_observation")
    ids = {int(o["indicator"]) for o in observations}
    indicators = {i.pk: i for i in Indicator.objects.filter(version=version, pk__in=ids)}
    today = timezone.localdate()
    checked = []
    for obs in observations:
        indicator = indicators.get(int(obs["indicator"]))
        if indicator is None:
            raise ReferralError(
                _("Indicateur inconnu dans la version en vigueur du catalogue."), code="unknown_indicator"
            )
        if obs["observed_on"] > today:
            raise ReferralError(_("La date des faits ne peut pas être dans le futur."), code="future_fact")
        if obs["mode"] not in ObservationMode.values:
            raise ReferralError(_("Mode d'observation inconnu."), code="unknown_mode")
        checked.append(indicator)
    return checked


def _coordinators(cell_id: int, roles: set[str]) -> list[Any]:
    members = Membership.objects.active().filter(cell_id=cell_id, role__in=roles).select_related("user")
    return [m.user for m in members]


@transaction.atomic
def referral_submit(
    *,
    by: Membership,
    identity: Identity,
    source: str,
    description: str,
    urgent: bool,
    observations: list[dict[str, Any]],
    submission_key: str | None = None,
) -> Referral:
    """Record a signalement: a new Person and a new Case (received), the Referral and its facts.

    Notifications carry no personal data: the kind and a link. A known person (same exact name and
    birth date in the same cell) is flagged to the coordinators; the qualification page lists them.
    """
    if submission_key:
        earlier = Referral.objects.filter(submission_key=submission_key, submitted_by=by).first()
        if earlier is not None:
            return earlier
    if source not in Source.values:
        raise ReferralError(_("Origine inconnue."), code="unknown_source")
    # The same predicate as the form's: who may not choose the source submits as a trained agent.
    if not can_choose_source(by) and source != Source.TRAINED_AGENT:
        raise ReferralError(_("L'origine d'un signalement d'agent est fixée."), code="fixed_source")
    version = CatalogueVersion.objects.current()
    if version is None:
        raise ReferralError(_("Aucune version du catalogue n'est en vigueur."), code="no_catalogue")
    indicators = _check_observations(version, observations)
    cell = by.cell
    known = find_known_persons(cell, identity.last_name, identity.first_name, identity.birth_date).exists()
    person = person_create(cell=cell, **identity.__dict__)
    case = case_open(person=person, by=by, urgent=urgent)
    referral = Referral.objects.create(
        cell=cell,
        reference=acknowledgement_reference(cell.code, timezone.localdate().year),
        submitted_by=by,
        source=source,
        description=description,
        urgent=urgent,
        person=person,
        case=case,
        catalogue_version=version,
        submission_key=submission_key or None,
    )
    Observation.objects.bulk_create(
        Observation(
            referral=referral,
            indicator=indicator,
            observed_on=obs["observed_on"],
            mode=obs["mode"],
            fact=obs["fact"],
        )
        for indicator, obs in zip(indicators, observations, strict=True)
    )
    if urgent:
        notify(
            recipients=_coordinators(cell.pk, set(URGENT_ALERTED)),
            kind=URGENT_REFERRAL,
            cell=cell,
            target=case,
        )
    else:
        notify(
            recipients=_coordinators(cell.pk, {Role.COORDINATOR}),
            kind=REFERRAL_TO_QUALIFY,
            cell=cell,
            target=case,
        )
    if known:
        notify(
            recipients=_coordinators(cell.pk, {Role.COORDINATOR}),
            kind=KNOWN_PERSON,
            cell=cell,
            target=case,
        )
    record(
        action="referral.submit",
        actor=by.user_id,
        cell=cell.pk,
        target=referral,
        data={
            "case": case.pk,
            "source": source,
            "urgent": urgent,
            "known": known,
            "observations": len(indicators),
            "catalogue": version.number,
        },
    )
    return referral


def referral_submit_once(**kwargs: Any) -> Referral:
    """referral_submit, where a concurrent duplicate (same key) returns the first referral."""
    try:
        return referral_submit(**kwargs)
    except IntegrityError:
        key = kwargs.get("submission_key")
        earlier = (
            Referral.objects.filter(submission_key=key, submitted_by=kwargs["by"]).first() if key else None
        )
        if earlier is None:
            raise
        return earlier


def coarse_status(state: str) -> str:
    """What a submitter may know: received, being handled, handled. Never the outcome itself."""
    if state in (State.RECEIVED, State.PREQUALIFICATION):
        return "received"
    if state in (State.DISMISSED, State.COMMON_LAW, State.CLOSED, State.ARCHIVED):
        return "done"
    return "in_progress"
