"""Retention rules (docs/rules.md §8): when each case is due for destruction, and why.

Pure functions of the case, its history and the cell's policy; the purge and the case pages both
use them, so the date a coordinator sees is the date the purge acts on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from cmer.accounts.models import Cell
from cmer.cases.models import Case, Transition
from cmer.cases.states import State
from cmer.privacy.models import POLICY_FIELDS, YOUNG_AGE_LIMIT, RetentionPolicy

# States after which the follow-up is over; the archive period runs from entering one of them.
ARCHIVABLE = frozenset({State.CLOSED, State.COMMON_LAW})


class Rule:
    DISMISSED = "dismissed"
    ARCHIVE = "archive_end"
    YOUNG_AGE = "young_age"
    ADULT_CAP = "adult_cap"


@dataclass(frozen=True)
class Due:
    on: dt.date
    rule: str


def stored_policy_for(cell_id: int) -> RetentionPolicy:
    """The cell's policy as last edited (perhaps waiting for the DPO), or the defaults, unsaved."""
    policy = RetentionPolicy.objects.filter(cell_id=cell_id).first()
    return policy or RetentionPolicy(cell_id=cell_id)


def in_force(stored: RetentionPolicy | None, cell_id: int) -> RetentionPolicy:
    """What applies: the durations the DPO last validated, else the defaults (the legal maxima).

    An unsaved copy: a coordinator's change waiting for validation shortens nothing, so one
    person alone can never bring a destruction forward (docs/privacy.md, "Policy in force").
    """
    if stored is None or not stored.validated_values:
        return RetentionPolicy(cell_id=cell_id)
    values = {k: int(v) for k, v in stored.validated_values.items() if k in POLICY_FIELDS}
    return RetentionPolicy(
        cell_id=cell_id,
        validated_at=stored.last_validated_at,
        last_validated_at=stored.last_validated_at,
        validated_values=stored.validated_values,
        **values,
    )


def policy_for(cell_id: int) -> RetentionPolicy:
    """The policy in force in the cell (the one the purge and the case pages apply)."""
    return in_force(RetentionPolicy.objects.filter(cell_id=cell_id).first(), cell_id)


def policy_pending(cell_id: int) -> bool:
    """A change of durations waits for the DPO's validation."""
    return RetentionPolicy.objects.filter(cell_id=cell_id, validated_at__isnull=True).exists()


def _months_in_days(months: int, today: dt.date) -> int:
    return (today - add_months(today, -months)).days


def audit_retention_days(today: dt.date | None = None) -> int:
    """How many days of audit trail the purge keeps before cutting the platform's oldest events.

    The trail is one hash chain and loses only its oldest events (the anchor keeps it
    verifiable), so this cut applies to every event, platform ones included: the longest
    validated retention of the active cells, never beyond the platform's ceiling
    (CMER_AUDIT_RETENTION_DAYS). Each cell's own, shorter value is applied before that by
    redaction (audit_cell_retention_days; docs/decisions/0008-audit-retention-per-cell.md).
    """
    today = today or timezone.localdate()
    cells = list(Cell.objects.filter(is_active=True).values_list("pk", flat=True))
    stored = {p.cell_id: p for p in RetentionPolicy.objects.filter(cell_id__in=cells)}
    months = [in_force(stored.get(pk), pk).audit_months for pk in cells]
    if not months:
        return int(settings.CMER_AUDIT_RETENTION_DAYS)
    return min(_months_in_days(max(months), today), int(settings.CMER_AUDIT_RETENTION_DAYS))


def audit_cell_retention_days(today: dt.date | None = None) -> dict[int, int]:
    """Each cell's DPO-validated audit retention in days (the defaults where nothing is
    validated), for every cell: a deactivated cell's events still follow its value."""
    today = today or timezone.localdate()
    stored = {p.cell_id: p for p in RetentionPolicy.objects.all()}
    return {
        pk: _months_in_days(in_force(stored.get(pk), pk).audit_months, today)
        for pk in Cell.objects.values_list("pk", flat=True)
    }


def audit_retention_statement(cell_id: int, today: dt.date | None = None) -> str:
    """What the audit purge really applies to this cell's events, said plainly (register, DPIA,
    DPO page): its validated value, by redaction, then the platform's cut of the oldest events
    (docs/decisions/0008-audit-retention-per-cell.md)."""
    months = policy_for(cell_id).audit_months
    applied = audit_retention_days(today)
    text = _(
        "%(m)s mois validés pour la cellule, appliqués : passé ce délai, la purge quotidienne du "
        "journal efface le contenu de ses événements (auteur, action, cible, données, adresse IP) "
        "et n'en conserve que le numéro, la date et l'empreinte, qui permettent encore de vérifier "
        "la chaîne. Ces restes sont supprimés au bout de %(d)s jours avec les plus anciens "
        "événements de la plateforme (la plus longue durée validée des cellules actives, dans la "
        "limite fixée par l'installation)."
    ) % {"m": months, "d": applied}
    if applied < _months_in_days(months, today or timezone.localdate()):
        text += " " + _(
            "La limite fixée par l'installation est plus courte : les événements de cette cellule "
            "sont donc supprimés avant sa durée validée."
        )
    return text


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 1 March
        return day.replace(year=day.year + years, month=3, day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day N months later, or the month's last day (31 January + 1 month = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def end_of_follow_up(case: Case) -> tuple[str, dt.date] | None:
    """The state that ended the follow-up (dismissed, common_law, closed) and the day it did.

    An archived case keeps the state it was archived from, read from its transitions (the purge
    archives without a human transition, so the last ending transition is what counts).
    """
    ending = (State.DISMISSED, State.COMMON_LAW, State.CLOSED)
    if case.state not in (*ending, State.ARCHIVED):
        return None
    last = (
        Transition.objects.filter(case=case, to_state__in=ending)
        .order_by("-at", "-pk")
        .values_list("to_state", "at")
        .first()
    )
    state = case.state if case.state != State.ARCHIVED else (last[0] if last else State.CLOSED)
    if state == State.CLOSED and case.closed_at:
        return state, _local_date(case.closed_at)
    if last and last[0] == state:
        return state, _local_date(last[1])
    return state, _local_date(case.closed_at or case.archived_at or case.opened_at)


def deletion_due(case: Case, policy: RetentionPolicy | None = None) -> Due:
    """The earliest date a retention rule requires the case to be destroyed, and that rule.

    With the birth year only, "beyond age N" is taken as 1 January of birth year + N + 1: on that
    day nobody born that year can still be N, so no one is kept past the limit.
    """
    policy = policy or policy_for(case.cell_id)
    candidates: list[Due] = []
    ended = end_of_follow_up(case)
    if ended is not None:
        state, day = ended
        if state == State.DISMISSED:
            candidates.append(Due(day + dt.timedelta(days=policy.dismissed_days), Rule.DISMISSED))
        else:
            candidates.append(Due(add_years(day, policy.archive_years), Rule.ARCHIVE))
    age = case.opened_at.year - case.person.birth_year
    # The young-person ceiling covers everyone under the default age, whatever the cell's
    # threshold: were the two caps exclusive, lowering `young_age_limit` would move a 24-year-old
    # from birth year + 26 to the 6-year adult cap, a later date, and the coordinator may only
    # shorten (docs/rules.md §8). Below the default, the cell's threshold only adds the adult cap,
    # and the earliest date wins, so no valid policy ever pushes a date back.
    if case.is_minor or age < YOUNG_AGE_LIMIT:
        candidates.append(
            Due(dt.date(case.person.birth_year + policy.young_max_age + 1, 1, 1), Rule.YOUNG_AGE)
        )
    if not case.is_minor and age >= policy.young_age_limit:
        candidates.append(Due(add_years(_local_date(case.opened_at), policy.adult_cap_years), Rule.ADULT_CAP))
    return min(candidates, key=lambda d: d.on)


def scheduled_deletion(case: Case, policy: RetentionPolicy | None = None) -> dt.date:
    """The date shown on the case: the day the purge will destroy it."""
    return deletion_due(case, policy).on
