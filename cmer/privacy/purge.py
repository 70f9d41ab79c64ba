"""The purge (docs/rules.md §8): archive ended cases, destroy what is past its retention, report.

The purge is a system actor: it has no membership, so it does not go through case_transition
(which records a human decision) and writes its own "purge.*" audit events with no actor.
Each case is handled in its own transaction, re-checked under a row lock: a run killed midway
loses nothing, and running again (or twice at once) ends in the same state as one clean run.
A dry run does the same work inside transactions that are rolled back, so its counts are exact.

A day's purge reads only its candidates (bench P8): the cases in an archivable state, and those
whose stored deletion date has come or is unknown. The services keep that date current at every
change it depends on (transitions, a rectified birth date, a validated policy), and each
candidate's date is computed again under its lock, so a stale date can neither destroy early nor
hide a case that is due. A weekly sweep of every case (SWEEP_EVERY) catches what no service sees:
a release that changes the rules or the default durations, rows written outside the services.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Cell, Membership
from cmer.audit.services import record
from cmer.cases.models import Case, Person, SystemActor
from cmer.cases.services import case_transition
from cmer.cases.states import State
from cmer.core.errors import DomainError
from cmer.core.health import PURGE, beat
from cmer.meetings.models import AgendaItem
from cmer.notifications.models import Notification
from cmer.privacy.models import MinutesEntry, PurgeReport, PurgeStatus, PurgeTrigger, RetentionPolicy
from cmer.privacy.retention import ARCHIVABLE, deletion_due, policy_for
from cmer.referrals.models import Referral

BATCH_SIZE = 200
STALE_AFTER = dt.timedelta(hours=6)
# Days between two sweeps of every case of a cell: the bound on a case kept past its date when
# that date went stale outside the services (a release that changes the rules, a manual fix).
SWEEP_EVERY = 7
# Report kinds: Django model labels as delete() counts them, plus the purge's own counters.
KIND_LABELS: dict[str, Promise] = {
    "archived": _("situations archivées"),
    "cases.Case": _("situations détruites"),
    "cases.Person": _("personnes détruites"),
    "cases.Transition": _("transitions détruites"),
    "cases.SupportPlan": _("plans d'accompagnement détruits"),
    "cases.Action": _("actions détruites"),
    "cases.ActionUpdate": _("suivis d'actions détruits"),
    "cases.ArchiveAccess": _("motifs de consultation détruits"),
    "cases.InformationDecision": _("décisions d'information détruites"),
    "cases.Rectification": _("traces de rectification détruites"),
    "referrals.Referral": _("signalements détruits"),
    "referrals.Observation": _("faits observés détruits"),
    "meetings.AgendaItem": _("points d'ordre du jour détruits"),
    "meetings.Decision": _("décisions détruites (parties personnelles)"),
    "privacy.MinutesEntry": _("références pseudonymes conservées au relevé"),
    "notifications.Notification": _("notifications détruites"),
    "core.Notification": _("notifications détruites"),  # reports written before the model moved
    "orphan_person": _("personnes sans situation détruites"),
    "schedule_updated": _("dates de suppression recalculées"),
    "swept": _("situations contrôlées une à une (contrôle hebdomadaire)"),
    "rule.dismissed": _("règle : classement sans suite"),
    "rule.archive_end": _("règle : fin d'archivage"),
    "rule.young_age": _("règle : âge limite (mineurs et jeunes majeurs)"),
    "rule.adult_cap": _("règle : durée maximale (majeurs)"),
    "rule.erasure": _("effacement à la demande de la personne (art. 17)"),
    "rule.restriction": _("limitation du traitement à la demande de la personne (art. 18)"),
}


class PurgeRefused(DomainError):
    """A refused erasure; nothing was destroyed."""


def _id_batches(queryset: QuerySet, size: int) -> Iterator[list[int]]:
    """Primary keys in ascending batches; each batch is read afresh, so deletions do not skip rows."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _delete_tree(queryset: QuerySet) -> Counter:
    """Delete rows and everything that depends on them, PROTECTed dependants included.

    PROTECT guards against deleting a case by mistake elsewhere; the purge is the one place that
    means it, so dependants (referrals, agenda items, transmissions…) go first. Returns counts
    per model label, as Django's delete() reports them.
    """
    counts: Counter = Counter()
    # include_hidden: a PROTECT key with related_name="+" blocks a delete just the same.
    reverse = [
        f for f in queryset.model._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete
    ]
    for rel in reverse:
        if getattr(rel, "on_delete", None) in (models.PROTECT, models.RESTRICT) and not rel.many_to_many:
            dependants = rel.related_model._base_manager.filter(**{f"{rel.field.name}__in": queryset})
            counts += _delete_tree(dependants)
    _, per_model = queryset.delete()
    counts.update({label: n for label, n in per_model.items() if n})
    return counts


def _notification_filter(case: Case) -> Q:
    """In-app notices about the case, its referrals, actions and transmissions (by their target)."""
    return (
        Q(target_type="cases.case", target_id=case.pk)
        | Q(target_type="referrals.referral", target_id__in=case.referrals.values("pk"))
        | Q(target_type="cases.action", target_id__in=case.actions.values("pk"))
        | Q(target_type="exchange.transmission", target_id__in=case.transmissions.values("pk"))
    )


def _archive_one(case_id: int, *, dry_run: bool) -> bool:
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id, state__in=ARCHIVABLE).first()
        if case is None:
            return False
        if not dry_run:
            source = case.state
            # The one write path of a case's state: a Transition row by the purge, audited.
            case_transition(case=case, to_state=State.ARCHIVED, by=SystemActor.PURGE)
            record(action="purge.case_archived", cell=case.cell_id, target=case, data={"from": source})
    return True


def _destroy_one(
    case_id: int, *, today: dt.date, policy: RetentionPolicy, dry_run: bool, force_rule: str = ""
) -> Counter:
    """Destroy one case past its retention; `force_rule` (an erasure) destroys it whatever its dates."""
    with transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            return Counter()
        case = Case.objects.select_related("person").get(pk=case_id)
        if force_rule:
            rule = force_rule
        else:
            due = deletion_due(case, policy)
            if due.on > today:
                # Not due: a stored date that said otherwise (or nothing) is put right.
                if dry_run or case.scheduled_deletion == due.on:
                    return Counter()
                Case.objects.filter(pk=case.pk).update(scheduled_deletion=due.on)
                return Counter({"schedule_updated": 1})
            rule = due.rule
        counts: Counter = Counter({f"rule.{rule}": 1})
        # Minutes keep the pseudonymous reference and the closed-list decision, nothing else.
        for item in AgendaItem.objects.filter(case=case).select_related("decision"):
            decision = getattr(item, "decision", None)
            MinutesEntry.objects.create(
                meeting_id=item.meeting_id,
                case_reference=case.reference,
                order=item.order,
                kind=item.kind,
                decision_kind=decision.kind if decision else "",
                purged_on=today,
            )
            counts["privacy.MinutesEntry"] += 1
        deleted, _ = Notification.objects.filter(_notification_filter(case)).delete()
        if deleted:
            counts["notifications.Notification"] += deleted
        person_id, cell_id, reference_pk = case.person_id, case.cell_id, case.pk
        counts += _delete_tree(Referral.objects.filter(case_id=case.pk))
        counts += _delete_tree(Case.objects.filter(pk=case.pk))
        if not Case.objects.filter(person_id=person_id).exists():
            counts += _delete_tree(Person.objects.filter(pk=person_id))
        if dry_run:
            transaction.set_rollback(True)
        else:
            record(
                action="purge.case_destroyed",
                cell=cell_id,
                target_type="cases.case",
                target_id=reference_pk,
                data={"rule": rule},
            )
    return counts


def sweep_due(*, cell: Cell, today: dt.date) -> bool:
    """Whether this run visits every case: no complete real sweep of the cell in the last
    SWEEP_EVERY days up to `today` (the first run of a cell sweeps, and so does a clock set back).
    A dry run decides the same way, so it counts what the real run would do."""
    recent = PurgeReport.objects.filter(
        cell=cell,
        dry_run=False,
        status=PurgeStatus.DONE,
        full_sweep=True,
        as_of__gt=today - dt.timedelta(days=SWEEP_EVERY),
        as_of__lte=today,
    )
    return not recent.exists()


def purge_run(
    *,
    cell: Cell,
    today: dt.date | None = None,
    wet_run: bool = False,
    trigger: str = "command",
    batch_size: int = BATCH_SIZE,
    by: Membership | None = None,
) -> PurgeReport:
    """Archive the cell's ended cases and destroy those past retention; a dry run changes nothing.

    Writes a PurgeReport (counts per kind, no names) and the "purge.run" audit event either way;
    when a person asked for it (`by`, the coordinator from the web), also "purge.request" with
    that person as actor, in the same transaction as the report.
    """
    today = today or timezone.localdate()
    policy = policy_for(cell.pk)
    dry_run = not wet_run
    # A run still "running" hours later was killed: say so in its report (its work is kept).
    PurgeReport.objects.filter(
        cell=cell, status=PurgeStatus.RUNNING, started_at__lt=timezone.now() - STALE_AFTER
    ).update(status=PurgeStatus.FAILED)
    report = PurgeReport.objects.create(
        cell=cell,
        as_of=today,
        dry_run=dry_run,
        trigger=trigger[:16],
        started_at=timezone.now(),
        full_sweep=sweep_due(cell=cell, today=today),
    )
    counts: Counter = Counter()
    try:
        in_cell = Case.objects.filter(cell=cell)
        for ids in _id_batches(in_cell.filter(state__in=ARCHIVABLE), batch_size):
            counts["archived"] += sum(_archive_one(pk, dry_run=dry_run) for pk in ids)
        if report.full_sweep:
            for ids in _id_batches(in_cell, batch_size):
                # One read per batch: most cases are not due. A due case is re-read under its lock.
                for case in Case.objects.filter(pk__in=ids).select_related("person").order_by("pk"):
                    counts["swept"] += 1
                    due = deletion_due(case, policy)
                    if due.on <= today:
                        counts += _destroy_one(case.pk, today=today, policy=policy, dry_run=dry_run)
                    elif wet_run and case.scheduled_deletion != due.on:
                        Case.objects.filter(pk=case.pk).update(scheduled_deletion=due.on)
                        counts["schedule_updated"] += 1
        else:
            # Candidates only: a stored date that has come, or none yet (a case loaded in bulk).
            candidates = in_cell.filter(Q(scheduled_deletion__isnull=True) | Q(scheduled_deletion__lte=today))
            for ids in _id_batches(candidates, batch_size):
                for pk in ids:
                    counts += _destroy_one(pk, today=today, policy=policy, dry_run=dry_run)
        orphans = Person.objects.filter(cell=cell, cases__isnull=True, referrals__isnull=True)
        for ids in _id_batches(orphans, batch_size):
            with transaction.atomic():
                orphan_counts = _delete_tree(Person.objects.filter(pk__in=ids, cases__isnull=True))
                counts["orphan_person"] += orphan_counts.get("cases.Person", 0)
                counts += orphan_counts
                if dry_run:
                    transaction.set_rollback(True)
    except Exception:
        PurgeReport.objects.filter(pk=report.pk).update(
            status=PurgeStatus.FAILED, finished_at=timezone.now(), counts=dict(counts)
        )
        raise
    with transaction.atomic():
        report.counts = dict(sorted(counts.items()))
        report.status = PurgeStatus.DONE
        report.finished_at = timezone.now()
        report.save(update_fields=["counts", "status", "finished_at"])
        record(
            action="purge.run",
            cell=cell.pk,
            target=report,
            data={
                "dry_run": dry_run,
                "destroyed": counts.get("cases.Case", 0),
                "archived": counts.get("archived", 0),
            },
        )
        if by is not None:
            record(action="purge.request", actor=by.user_id, cell=cell.pk, target=report)
    return report


def purge_all(
    *,
    today: dt.date | None = None,
    wet_run: bool = False,
    trigger: str = "command",
    on_cell: Callable[[int], object] | None = None,
) -> list[PurgeReport]:
    """One purge per active cell: each cell's report goes to that cell's DPO.

    A complete real run is recorded as the "purge" heartbeat (/sante/, doctor), even with no cell.
    """
    reports = []
    for cell in Cell.objects.filter(is_active=True).order_by("pk"):
        reports.append(purge_run(cell=cell, today=today, wet_run=wet_run, trigger=trigger))
        if on_cell is not None:
            on_cell(1)
    if wet_run:
        beat(PURGE)
    return reports


def purge_person(*, person: Person, by: Membership) -> PurgeReport:
    """Erase one person (GDPR art. 17, decided on a rights request): every case, referral and fact.

    The same destruction as the retention purge, case by case, with the same minutes entries and
    events, and a PurgeReport (trigger "rights") for the DPO; statistics are computed from what
    remains, so they stay consistent. Refused for a person of another cell.
    """
    if person.cell_id != by.cell_id:
        raise PurgeRefused(gettext("Cette personne n'est pas suivie par votre cellule."), code="other_cell")
    cell = person.cell
    today = timezone.localdate()
    policy = policy_for(cell.pk)
    with transaction.atomic():
        report = PurgeReport.objects.create(
            cell=cell, as_of=today, dry_run=False, trigger=PurgeTrigger.RIGHTS, started_at=timezone.now()
        )
        counts: Counter = Counter()
        for pk in Case.objects.filter(person=person).order_by("pk").values_list("pk", flat=True):
            counts += _destroy_one(pk, today=today, policy=policy, dry_run=False, force_rule="erasure")
        # A person recorded only through referrals (or left over) goes too.
        counts += _delete_tree(Referral.objects.filter(person_id=person.pk))
        counts += _delete_tree(Person.objects.filter(pk=person.pk))
        report.counts = dict(sorted(counts.items()))
        report.status = PurgeStatus.DONE
        report.finished_at = timezone.now()
        report.save(update_fields=["counts", "status", "finished_at"])
        record(
            action="rights.erasure",
            actor=by.user_id,
            cell=cell.pk,
            target=report,
            data={"destroyed": counts.get("cases.Case", 0)},
        )
    return report


# What a restriction (GDPR art. 18) can archive at once: the finished states.
RESTRICTABLE = frozenset({State.CLOSED, State.COMMON_LAW, State.DISMISSED})


def restrict_person(*, person: Person, by: Membership) -> PurgeReport:
    """Limit the processing of one person's data (GDPR art. 18) to storage: archive their cases.

    An archived case is read only, and only after a written reason the DPO sees; nothing is
    destroyed before its retention ends. A situation still followed must be closed first, so the
    whole request is refused (nothing archived) while one is open. A PurgeReport (trigger
    "rights") says how many were archived.
    """
    if person.cell_id != by.cell_id:
        raise PurgeRefused(gettext("Cette personne n'est pas suivie par votre cellule."), code="other_cell")
    cases = list(Case.objects.filter(person=person).exclude(state=State.ARCHIVED).order_by("pk"))
    if any(case.state not in RESTRICTABLE for case in cases):
        raise PurgeRefused(
            gettext(
                "Une situation de cette personne est encore suivie : clôturez-la avant de limiter le traitement."
            ),
            code="still_followed",
        )
    with transaction.atomic():
        report = PurgeReport.objects.create(
            cell=person.cell,
            as_of=timezone.localdate(),
            dry_run=False,
            trigger=PurgeTrigger.RIGHTS,
            started_at=timezone.now(),
        )
        for case in cases:
            case_transition(
                case=case,
                to_state=State.ARCHIVED,
                by=by,
                note=gettext("Limitation du traitement (RGPD art. 18)."),
            )
        report.counts = {"archived": len(cases), "rule.restriction": len(cases)}
        report.status = PurgeStatus.DONE
        report.finished_at = timezone.now()
        report.save(update_fields=["counts", "status", "finished_at"])
        record(
            action="rights.restriction",
            actor=by.user_id,
            cell=person.cell_id,
            target=report,
            data={"archived": len(cases)},
        )
    return report
