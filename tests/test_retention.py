"""Retention rules and the purge (docs/security.md #9, #21): time travel by passing `today`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from io import StringIO
from itertools import product

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.cases.models import Case, Person, Transition
from cmer.cases.schedule import case_deletion_date_refresh
from cmer.cases.states import State
from cmer.meetings.models import AgendaItem, Decision, DecisionKind, Meeting
from cmer.notifications.models import Notification
from cmer.privacy import retention
from cmer.privacy.forms import RetentionPolicyForm
from cmer.privacy.models import POLICY_FIELDS, MinutesEntry, PurgeReport, RetentionPolicy
from cmer.privacy.purge import purge_run
from cmer.privacy.retention import Due, Rule, add_years, deletion_due, scheduled_deletion
from cmer.referrals.models import Observation, Referral
from tests.factories import make_case, make_person, make_referral
from tests.factories_meetings import make_item
from tests.factories_privacy import validated_policy

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)  # the day things ended, in the tests' past


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def adult(cw, **kw) -> Person:
    return make_person(cw.cell, birth_date=dt.date(1970, 5, 5), **kw)


def ended_case(cw, state: str, day: dt.date, *, person: Person | None = None) -> Case:
    """A case that entered `state` on `day`, with the transition recorded as a human did it."""
    opened = at(day - dt.timedelta(days=40))
    extra = {"closed_at": at(day)} if state in (State.CLOSED, State.ARCHIVED) else {}
    case = make_case(cw, state, person=person or adult(cw), opened_at=opened, **extra)
    ending = State.CLOSED if state == State.ARCHIVED else state
    Transition.objects.create(
        case=case,
        from_state=State.PREQUALIFICATION,
        to_state=ending,
        by=cw.members["coordinator"],
        at=at(day),
    )
    return case


def snapshot() -> Counter:
    """Row counts of every business table: the end state of a purge, for idempotence checks."""
    labels = ["cases.Case", "cases.Person", "cases.Transition", "referrals.Referral", "referrals.Observation"]
    labels += [
        "meetings.AgendaItem",
        "meetings.Decision",
        "notifications.Notification",
        "privacy.MinutesEntry",
    ]
    counts = Counter({label: apps.get_model(label).objects.count() for label in labels})
    counts.update({f"state.{s}": n for s, n in Counter(Case.objects.values_list("state", flat=True)).items()})
    return counts


# --- rules ------------------------------------------------------------------------------------


def test_dismissed_case_is_destroyed_90_days_after_dismissal_not_before(world):
    due = ended_case(world.a, State.DISMISSED, D)
    referral = make_referral(world.a, case=due, observations=2)
    later = ended_case(world.a, State.DISMISSED, D + dt.timedelta(days=1))
    assert scheduled_deletion(due) == D + dt.timedelta(days=90)

    report = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=89), wet_run=True)
    assert report.counts.get("cases.Case", 0) == 0
    assert Case.objects.filter(pk=due.pk).exists()

    report = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=90), wet_run=True)
    assert not Case.objects.filter(pk=due.pk).exists()
    assert not Person.objects.filter(pk=due.person_id).exists()
    assert not Referral.objects.filter(pk=referral.pk).exists()
    assert not Observation.objects.filter(referral_id=referral.pk).exists()
    assert Case.objects.filter(pk=later.pk).exists()  # one day younger: not due
    assert report.counts["cases.Case"] == 1
    assert report.counts["referrals.Observation"] == 2
    assert report.counts["rule.dismissed"] == 1


def test_closed_case_is_archived_at_once_then_destroyed_three_years_after_closure(world):
    case = ended_case(world.a, State.CLOSED, D)
    purge_run(cell=world.a.cell, today=D + dt.timedelta(days=1), wet_run=True)
    case.refresh_from_db()
    assert case.state == State.ARCHIVED and case.archived_at is not None
    assert case.scheduled_deletion == add_years(D, 3)  # stored by the archiving transition itself
    assert AuditEvent.objects.filter(
        action="purge.case_archived", target_id=str(case.pk), actor_id=None
    ).exists()
    # The archiving went through case_transition: a Transition by the purge, with its audit event.
    last = Transition.objects.filter(case=case).last()
    assert last is not None
    assert (last.from_state, last.to_state, last.by, last.system_actor) == (
        State.CLOSED,
        State.ARCHIVED,
        None,
        "purge",
    )
    moved = AuditEvent.objects.get(action="case.transition", target_id=str(case.pk), data__to="archived")
    assert moved.actor_id is None and moved.data == {"from": "closed", "to": "archived", "by": "system:purge"}

    end = add_years(D, 3)
    assert scheduled_deletion(case) == end
    purge_run(cell=world.a.cell, today=end - dt.timedelta(days=1), wet_run=True)
    assert Case.objects.filter(pk=case.pk).exists()
    purge_run(cell=world.a.cell, today=end, wet_run=True)
    assert not Case.objects.filter(pk=case.pk).exists()


def test_common_law_case_follows_the_archive_rule_from_its_orientation_date(world):
    case = ended_case(world.a, State.COMMON_LAW, D)
    purge_run(cell=world.a.cell, today=D, wet_run=True)
    case.refresh_from_db()
    assert case.state == State.ARCHIVED
    due = deletion_due(case)
    assert (due.on, due.rule) == (add_years(D, 3), Rule.ARCHIVE)


def test_young_person_is_destroyed_the_year_after_turning_25_even_while_followed(world):
    person = make_person(world.a.cell, birth_date=dt.date(2001, 6, 1))
    case = make_case(world.a, State.SUPPORT, person=person, is_minor=False, opened_at=at(dt.date(2020, 9, 1)))
    other = make_case(world.a, State.WATCH, person=adult(world.a), opened_at=at(dt.date(2024, 1, 5)))
    assert deletion_due(case).rule == Rule.YOUNG_AGE
    assert scheduled_deletion(case) == dt.date(2027, 1, 1)

    purge_run(cell=world.a.cell, today=dt.date(2026, 12, 31), wet_run=True)
    assert Case.objects.filter(pk=case.pk).exists()
    report = purge_run(cell=world.a.cell, today=dt.date(2027, 1, 1), wet_run=True)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Person.objects.filter(pk=person.pk).exists()
    assert report.counts["rule.young_age"] == 1
    assert Case.objects.filter(pk=other.pk).exists()  # an adult opened in 2024: cap in 2030


def test_older_adult_is_capped_years_after_opening(world):
    case = make_case(world.a, State.WATCH, person=adult(world.a), opened_at=at(dt.date(2020, 2, 29)))
    due = deletion_due(case)
    assert (due.on, due.rule) == (dt.date(2026, 3, 1), Rule.ADULT_CAP)  # 29 Feb + 6 years
    purge_run(cell=world.a.cell, today=dt.date(2026, 2, 28), wet_run=True)
    assert Case.objects.filter(pk=case.pk).exists()
    purge_run(cell=world.a.cell, today=dt.date(2026, 3, 1), wet_run=True)
    assert not Case.objects.filter(pk=case.pk).exists()


def test_a_lower_young_age_limit_never_keeps_a_young_adult_longer(world):
    """docs/rules.md §8: the coordinator may only shorten. A threshold of 18 once moved a
    24-year-old from the young-person cap (1 January 2027) to the adult cap (2 December 2031)."""
    person = make_person(world.a.cell, birth_date=dt.date(2001, 6, 1))
    case = make_case(
        world.a, State.SUPPORT, person=person, is_minor=False, opened_at=at(dt.date(2025, 12, 2))
    )
    default = RetentionPolicy(cell_id=world.a.cell.pk)
    lowered = RetentionPolicy(cell_id=world.a.cell.pk, young_age_limit=18)
    assert deletion_due(case, default) == Due(dt.date(2027, 1, 1), Rule.YOUNG_AGE)
    assert deletion_due(case, lowered) == Due(dt.date(2027, 1, 1), Rule.YOUNG_AGE)
    # The threshold still shortens where the adult cap comes first: 19 at opening, born in 2006.
    younger = make_case(
        world.a,
        State.SUPPORT,
        person=make_person(world.a.cell, birth_date=dt.date(2006, 3, 3)),
        is_minor=False,
        opened_at=at(dt.date(2025, 12, 2)),
    )
    assert deletion_due(younger, default) == Due(dt.date(2032, 1, 1), Rule.YOUNG_AGE)
    assert deletion_due(younger, lowered) == Due(dt.date(2031, 12, 2), Rule.ADULT_CAP)


def _valid_values(field: str) -> range:
    """Every value the edit form accepts for one policy field, read from the model's validators."""
    validators = RetentionPolicy._meta.get_field(field).validators
    low = max(v.limit_value for v in validators if isinstance(v, MinValueValidator))
    high = min(v.limit_value for v in validators if isinstance(v, MaxValueValidator))
    return range(low, high + 1)


def test_the_form_accepts_exactly_the_values_the_property_below_walks():
    defaults = {f: RetentionPolicy._meta.get_field(f).default for f in POLICY_FIELDS}
    for field in POLICY_FIELDS:
        values = _valid_values(field)
        assert values[-1] == defaults[field]  # the default is the maximum: "only shorten"
        for value, ok in (
            (values[0] - 1, False),
            (values[0], True),
            (values[-1], True),
            (values[-1] + 1, False),
        ):
            form = RetentionPolicyForm({**defaults, field: value})
            assert form.is_valid() is ok, (field, value, form.errors)


def test_no_valid_policy_ever_sets_a_later_deletion_date_than_the_defaults(world, monkeypatch):
    """Property (docs/rules.md §8, "only shorten"): over every valid value of each field, the
    product of the three age fields, and the product of every field's bounds, for people of
    every age at opening and cases in every kind of state, no date is later than the default's."""
    cell_id = world.a.cell.pk
    opened_on = dt.date(2025, 12, 2)
    ages = (12, 16, 17, 18, 19, 21, 23, 24, 25, 26, 31, 45)
    cases = []
    for age in ages:
        person = make_person(world.a.cell, birth_date=dt.date(opened_on.year - age, 6, 1))
        for state in (State.RECEIVED, State.SUPPORT, State.WATCH):
            cases.append(make_case(world.a, state, person=person, is_minor=age < 18, opened_at=at(opened_on)))
        if age < 18:  # a minor not flagged as one: the age rule alone must still protect them
            cases.append(
                make_case(world.a, State.SUPPORT, person=person, is_minor=False, opened_at=at(opened_on))
            )
        for state in (State.DISMISSED, State.CLOSED, State.COMMON_LAW, State.ARCHIVED):
            cases.append(ended_case(world.a, state, opened_on + dt.timedelta(days=40), person=person))

    defaults = {f: RetentionPolicy._meta.get_field(f).default for f in POLICY_FIELDS}
    policies = [{**defaults, field: v} for field in POLICY_FIELDS for v in _valid_values(field)]
    ages_fields = ("young_age_limit", "young_max_age", "adult_cap_years")
    policies += [
        {**defaults, **dict(zip(ages_fields, combo, strict=True))}
        for combo in product(*(_valid_values(f) for f in ages_fields))
    ]
    bounds = [(_valid_values(f)[0], _valid_values(f)[-1]) for f in POLICY_FIELDS]
    policies += [dict(zip(POLICY_FIELDS, combo, strict=True)) for combo in product(*bounds)]

    # Some 50,000 dates: the end of each follow-up (a query for ended cases) is read once per case.
    ends = {case.pk: retention.end_of_follow_up(case) for case in cases}
    monkeypatch.setattr(retention, "end_of_follow_up", lambda case: ends[case.pk])
    baseline = {case.pk: deletion_due(case, RetentionPolicy(cell_id=cell_id)).on for case in cases}
    later = [
        (case.person.birth_year, case.state, case.is_minor, values)
        for values in policies
        for case in cases
        if deletion_due(case, RetentionPolicy(cell_id=cell_id, **values)).on > baseline[case.pk]
    ]
    assert later == []


def test_a_shorter_policy_applies(world):
    validated_policy(world.a.cell, dismissed_days=30)
    case = ended_case(world.a, State.DISMISSED, D)
    assert scheduled_deletion(case) == D + dt.timedelta(days=30)


def test_active_cases_and_other_cells_are_never_touched(world):
    active = make_case(world.a, State.SUPPORT, person=adult(world.a))
    other_cell = ended_case(world.b, State.DISMISSED, D)
    before = snapshot()
    report = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=400), wet_run=True)
    assert Case.objects.filter(pk=active.pk, state=State.SUPPORT).exists()
    assert Case.objects.filter(pk=other_cell.pk).exists()
    assert report.counts.get("cases.Case", 0) == 0
    assert snapshot() == before


def test_a_quiet_day_reads_only_candidates_whatever_the_number_of_cases(world):
    """Pinned: with nothing due, a day's purge costs the same queries for 3 or 30 cases, even in
    batches of 2 (a visit of every case would grow with them: bench P8)."""

    def quiet_day(day: dt.date) -> int:
        with CaptureQueriesContext(connection) as queries:
            report = purge_run(cell=world.a.cell, today=day, wet_run=True, batch_size=2)
        assert not report.full_sweep and report.counts == {}
        return len(queries)

    for _ in range(3):
        make_case(world.a, State.SUPPORT, person=adult(world.a))
    first = purge_run(cell=world.a.cell, today=D, wet_run=True)  # a cell's first run sweeps
    assert first.full_sweep and first.counts["swept"] == 3
    few = quiet_day(D + dt.timedelta(days=1))
    for _ in range(27):
        make_case(world.a, State.SUPPORT, person=adult(world.a))
    pinned = 13 if connection.vendor == "postgresql" else 12  # + the audit chain's advisory lock
    assert quiet_day(D + dt.timedelta(days=2)) == few == pinned


def test_on_a_day_without_sweep_the_case_due_that_day_goes_and_the_next_days_stays(world):
    due = ended_case(world.a, State.DISMISSED, D)
    kept = ended_case(world.a, State.DISMISSED, D + dt.timedelta(days=1))
    assert purge_run(cell=world.a.cell, today=D + dt.timedelta(days=85), wet_run=True).full_sweep
    due.refresh_from_db()
    assert due.scheduled_deletion == D + dt.timedelta(days=90)
    report = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=90), wet_run=True)
    assert not report.full_sweep
    assert not Case.objects.filter(pk=due.pk).exists()
    assert Case.objects.filter(pk=kept.pk).exists()
    assert (report.counts["cases.Case"], report.counts["rule.dismissed"]) == (1, 1)


def test_a_stored_date_too_early_never_destroys_and_is_put_right_a_dry_run_changes_nothing(world):
    case = make_case(world.a, State.SUPPORT, person=adult(world.a), opened_at=at(dt.date(2024, 1, 5)))
    purge_run(cell=world.a.cell, today=D, wet_run=True)  # the sweep
    Case.objects.filter(pk=case.pk).update(scheduled_deletion=D)  # wrong, and already passed
    before = snapshot()
    dry = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=1))
    assert not dry.full_sweep and dry.counts == {}
    assert snapshot() == before
    assert Case.objects.get(pk=case.pk).scheduled_deletion == D  # the dry run wrote nothing
    wet = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=1), wet_run=True)
    assert wet.counts == {"schedule_updated": 1}
    assert snapshot() == before
    assert Case.objects.get(pk=case.pk).scheduled_deletion == dt.date(2030, 1, 5)  # adult cap, 6 years


def test_a_validated_policy_moves_the_stored_dates_at_once(world):
    from cmer.privacy.services import policy_update, policy_validate

    case = ended_case(world.a, State.DISMISSED, D)
    purge_run(cell=world.a.cell, today=D + dt.timedelta(days=25), wet_run=True)  # the sweep
    policy_update(cell=world.a.cell, values={"dismissed_days": 30}, by=world.a.members["coordinator"])
    case.refresh_from_db()
    assert case.scheduled_deletion == D + dt.timedelta(days=90)  # not in force before the DPO
    policy_validate(cell=world.a.cell, by=world.a.members["dpo"])
    case.refresh_from_db()
    assert case.scheduled_deletion == D + dt.timedelta(days=30)
    event = AuditEvent.objects.get(action="retention.policy_validate")
    assert event.data == {"rescheduled": 1}
    moved = AuditEvent.objects.get(
        action="retention.schedule", target_id=str(case.pk), data__on=str(case.scheduled_deletion)
    )
    assert moved.actor_id is None
    report = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=30), wet_run=True)
    assert not report.full_sweep
    assert not Case.objects.filter(pk=case.pk).exists()


def test_a_rectified_birth_date_moves_the_stored_dates_at_once(world):
    from cmer.cases.models import RectificationReason
    from cmer.privacy.rights import person_rectify

    person = adult(world.a)
    case = make_case(world.a, State.SUPPORT, person=person, is_minor=False, opened_at=at(dt.date(2024, 1, 5)))
    purge_run(cell=world.a.cell, today=dt.date(2026, 12, 28), wet_run=True)  # the sweep
    case.refresh_from_db()
    assert case.scheduled_deletion == dt.date(2030, 1, 5)  # adult cap
    person_rectify(
        person=person,
        values={"birth_date": dt.date(2001, 6, 1)},  # 22 when the case opened: the young age rule
        facts={},
        reason=RectificationReason.INTAKE_ERROR,
        by=world.a.members["coordinator"],
    )
    case.refresh_from_db()
    assert case.scheduled_deletion == dt.date(2027, 1, 1) and not case.is_minor
    report = purge_run(cell=world.a.cell, today=dt.date(2027, 1, 1), wet_run=True)
    assert not report.full_sweep and report.counts["rule.young_age"] == 1
    assert not Case.objects.filter(pk=case.pk).exists()


def test_a_rectified_birth_date_corrects_minor_at_opening(world):
    """A person recorded as an adult who was 16 when the case opened: "minor at opening", which the
    age rule, the statistics and the parental information read, follows the corrected date."""
    from cmer.cases.models import RectificationReason
    from cmer.privacy.rights import person_rectify

    person = adult(world.a)
    case = make_case(world.a, State.SUPPORT, person=person, is_minor=False, opened_at=at(dt.date(2024, 1, 5)))
    person_rectify(
        person=person,
        values={"birth_date": dt.date(2007, 6, 1)},
        facts={},
        reason=RectificationReason.INTAKE_ERROR,
        by=world.a.members["coordinator"],
    )
    case.refresh_from_db()
    assert case.is_minor


def test_the_weekly_sweep_catches_a_date_gone_stale_outside_the_services(world):
    """What no service sees (a release that changes the rules, a manual fix in SQL) waits at most
    for the next sweep, SWEEP_EVERY days after the last one."""
    case = ended_case(world.a, State.DISMISSED, D)
    purge_run(cell=world.a.cell, today=D + dt.timedelta(days=85), wet_run=True)  # the sweep
    Case.objects.filter(pk=case.pk).update(scheduled_deletion=D + dt.timedelta(days=400))
    dry = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=91))
    assert not dry.full_sweep and Case.objects.filter(pk=case.pk).exists()
    six_days_after = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=91), wet_run=True)
    assert not six_days_after.full_sweep and Case.objects.filter(pk=case.pk).exists()
    week_after = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=92), wet_run=True)
    assert week_after.full_sweep and week_after.counts["swept"] == 1
    assert not Case.objects.filter(pk=case.pk).exists()


# --- what the destruction takes and keeps ----------------------------------------------------


def test_destruction_keeps_only_a_pseudonymous_reference_in_the_minutes(world):
    item = make_item(world.a, state=State.WATCH, person=adult(world.a), opened_at=at(dt.date(2019, 1, 10)))
    Decision.objects.create(
        item=item,
        kind=DecisionKind.WATCH,
        responsible_service="CCAS",
        recorded_by=world.a.members["coordinator"],
    )
    meeting, reference = item.meeting, item.case.reference
    purge_run(cell=world.a.cell, today=dt.date(2025, 1, 10), wet_run=True)
    assert not AgendaItem.objects.filter(pk=item.pk).exists()
    assert not Decision.objects.filter(item_id=item.pk).exists()
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    entry = MinutesEntry.objects.get(meeting=meeting)
    assert (entry.case_reference, entry.decision_kind) == (reference, DecisionKind.WATCH)


def test_notifications_of_a_destroyed_case_go_and_others_stay(world):
    case = ended_case(world.a, State.DISMISSED, D)
    user = world.a.user("coordinator")
    other = ended_case(world.a, State.REVIEWED, D)
    gone = Notification.objects.create(
        recipient=user, kind="referral_to_qualify", target_type="cases.case", target_id=case.pk
    )
    # Same id, another model: matched by target type and id, never by id alone.
    kept_type = Notification.objects.create(
        recipient=user, kind="meeting_convened", target_type="meetings.meeting", target_id=case.pk
    )
    kept = Notification.objects.create(
        recipient=user, kind="referral_to_qualify", target_type="cases.case", target_id=other.pk
    )
    purge_run(cell=world.a.cell, today=D + dt.timedelta(days=90), wet_run=True)
    assert not Notification.objects.filter(pk=gone.pk).exists()
    assert Notification.objects.filter(pk__in=[kept.pk, kept_type.pk]).count() == 2


def test_transmissions_do_not_block_the_destruction(world):
    from tests.factories_exchange import make_transmission

    transmission = make_transmission(world.a, sent=True)
    case = transmission.case
    Case.objects.filter(pk=case.pk).update(state=State.CLOSED, closed_at=at(D))
    purge_run(cell=world.a.cell, today=add_years(D, 3), wet_run=True)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not type(transmission).objects.filter(pk=transmission.pk).exists()


# --- idempotence, dry run, report, audit ------------------------------------------------------


def _populate(world) -> None:
    for i in range(3):
        make_referral(world.a, case=ended_case(world.a, State.DISMISSED, D - dt.timedelta(days=i)))
    ended_case(world.a, State.CLOSED, D)
    ended_case(world.a, State.CLOSED, D - dt.timedelta(days=4 * 365))
    make_case(world.a, State.SUPPORT, person=adult(world.a))


def test_running_twice_gives_the_same_state_as_once(world):
    _populate(world)
    today = D + dt.timedelta(days=120)
    first = purge_run(cell=world.a.cell, today=today, wet_run=True)
    after_once = snapshot()
    second = purge_run(cell=world.a.cell, today=today, wet_run=True)
    assert snapshot() == after_once
    assert first.counts["cases.Case"] == 4 and first.counts["archived"] == 2
    assert second.counts.get("cases.Case", 0) == 0 and second.counts.get("archived", 0) == 0


def test_a_run_interrupted_midway_then_rerun_ends_like_one_clean_run(world):
    """A run killed after two cases leaves those two done (each case is one transaction) and a
    'running' report; the next run finishes the rest and the end state is a clean run's."""
    from cmer.privacy.purge import _destroy_one

    _populate(world)
    today = D + dt.timedelta(days=120)
    policy = RetentionPolicy(cell=world.a.cell)
    PurgeReport.objects.create(
        cell=world.a.cell, as_of=today, dry_run=False, trigger="task", started_at=timezone.now()
    )
    first_two = list(
        Case.objects.filter(state=State.DISMISSED).order_by("pk").values_list("pk", flat=True)[:2]
    )
    for pk in first_two:
        assert _destroy_one(pk, today=today, policy=policy, dry_run=False)["cases.Case"] == 1
    report = purge_run(cell=world.a.cell, today=today, wet_run=True)
    assert report.counts["cases.Case"] == 2  # the two the killed run had not reached
    assert Case.objects.count() == 2  # the support case and the recently closed (archived) one
    assert set(Case.objects.values_list("state", flat=True)) == {State.SUPPORT, State.ARCHIVED}
    assert PurgeReport.objects.filter(status="running").count() == 1  # the killed run stays visible


def test_a_report_left_running_for_hours_is_marked_interrupted_by_the_next_run(world):
    old = PurgeReport.objects.create(
        cell=world.a.cell,
        as_of=D,
        dry_run=False,
        trigger="task",
        started_at=timezone.now() - dt.timedelta(hours=7),
    )
    other_cell = PurgeReport.objects.create(
        cell=world.b.cell,
        as_of=D,
        dry_run=False,
        trigger="task",
        started_at=timezone.now() - dt.timedelta(hours=7),
    )
    purge_run(cell=world.a.cell, today=D, wet_run=True)
    old.refresh_from_db()
    other_cell.refresh_from_db()
    assert (old.status, other_cell.status) == ("failed", "running")


def test_dry_run_changes_nothing_and_counts_what_a_wet_run_does(world):
    _populate(world)
    today = D + dt.timedelta(days=120)
    before = snapshot()
    dry = purge_run(cell=world.a.cell, today=today)
    assert dry.dry_run
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action__in=["purge.case_destroyed", "purge.case_archived"]).exists()
    wet = purge_run(cell=world.a.cell, today=today, wet_run=True)
    # The closed case past its retention is archived, then destroyed, by the same wet run: the
    # Transition its archiving wrote goes with it, one row more than the dry run could count.
    assert wet.counts["cases.Transition"] == dry.counts["cases.Transition"] + 1
    ignored = ("cases.Person", "schedule_updated", "cases.Transition")
    assert {k: v for k, v in dry.counts.items() if k not in ignored} == {
        k: v for k, v in wet.counts.items() if k not in ignored
    }


def test_report_and_audit_hold_counts_and_ids_never_names(world):
    person = make_person(
        world.a.cell, last_name="Canaryname", first_name="Zebulon", birth_date=dt.date(1960, 1, 1)
    )
    case = ended_case(world.a, State.DISMISSED, D, person=person)
    report = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=90), wet_run=True)
    event = AuditEvent.objects.get(action="purge.case_destroyed")
    assert (event.actor_id, event.target_id, event.data) == (None, str(case.pk), {"rule": "dismissed"})
    run = AuditEvent.objects.get(action="purge.run", target_id=str(report.pk))
    assert run.data == {"dry_run": False, "destroyed": 1, "archived": 0}
    assert report.status == "done" and report.finished_at is not None
    dumped = str(report.counts) + str(list(AuditEvent.objects.values()))
    assert "Canaryname" not in dumped and "Zebulon" not in dumped and case.reference not in dumped


# --- scheduled deletion date ------------------------------------------------------------------


def test_case_deletion_date_refresh_stores_the_date_and_the_purge_keeps_it_current(world):
    # Already archived: the purge does not move it, only refreshes its date (archiving a case
    # refreshes the date through case_transition, see the closed-case test above).
    case = ended_case(world.a, State.ARCHIVED, D)
    assert case_deletion_date_refresh(case=case) == add_years(D, 3)
    case.refresh_from_db()
    assert case.scheduled_deletion == add_years(D, 3)
    validated_policy(world.a.cell, archive_years=2)
    report = purge_run(cell=world.a.cell, today=D + dt.timedelta(days=1), wet_run=True)
    case.refresh_from_db()
    assert case.scheduled_deletion == add_years(D, 2)
    assert report.counts["schedule_updated"] == 1


# --- command and task -------------------------------------------------------------------------


def test_purge_command_is_a_dry_run_unless_told_otherwise(world):
    case = ended_case(world.a, State.DISMISSED, D)
    today = (D + dt.timedelta(days=91)).isoformat()
    out = StringIO()
    call_command("purge", "--cell", world.a.cell.code, "--today", today, stdout=out)
    assert "DRY RUN" in out.getvalue() and "cases.Case: 1" in out.getvalue()
    assert Case.objects.filter(pk=case.pk).exists()
    out = StringIO()
    call_command("purge", "--cell", world.a.cell.code, "--today", today, "--wet-run", stdout=out)
    assert "WET RUN" in out.getvalue()
    assert not Case.objects.filter(pk=case.pk).exists()


@pytest.mark.django_db(transaction=True)  # the worker closes its connection after each task
def test_schedule_purges_enqueues_the_daily_jobs_and_the_worker_runs_them(world):
    from django_tasks_db.models import DBTaskResult

    from cmer.audit.chain import verify
    from cmer.core.models import Heartbeat

    case = ended_case(world.a, State.DISMISSED, timezone.localdate() - dt.timedelta(days=100))
    call_command("schedule_purges", stdout=StringIO())
    assert DBTaskResult.objects.count() == 3
    call_command("db_worker", "--batch", "--no-startup-delay", stdout=StringIO(), stderr=StringIO())
    assert not Case.objects.filter(pk=case.pk).exists()
    assert PurgeReport.objects.filter(cell=world.a.cell, trigger="task", dry_run=False).exists()
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert verify().ok
    assert Heartbeat.objects.filter(name="purge").exists()  # /sante/ sees the purge ran


# --- the policy in force is the DPO-validated one (issue 12 item 8) ---------------------------


def test_a_shortened_policy_waits_for_the_dpo_before_any_purge_applies_it(world):
    """A coordinator alone shortens every duration and runs a wet purge: nothing beyond the last
    validated policy is destroyed; once the DPO validates, the shorter durations apply."""
    from django.urls import reverse

    from tests.personas import persona_client

    validated_policy(world.a.cell, dismissed_days=60)
    ended = timezone.localdate() - dt.timedelta(days=10)
    case = ended_case(world.a, State.DISMISSED, ended)  # due in 50 days under the validated policy
    coordinator = persona_client(world, "coordinator")
    shortest = {"dismissed_days": 1, "archive_years": 1, "young_age_limit": 18, "young_max_age": 18}
    shortest.update({"adult_cap_years": 1, "audit_months": 1})
    assert coordinator.post(reverse("privacy:retention_edit"), shortest).status_code == 302
    assert RetentionPolicy.objects.get(cell=world.a.cell).dismissed_days == 1  # stored, not in force

    dashboard = coordinator.get(reverse("core:dashboard")).content.decode()
    assert "attend la validation du DPO" in dashboard
    page = coordinator.get(reverse("privacy:retention")).content.decode()
    assert "attend la validation du DPO" in page

    assert coordinator.post(reverse("privacy:purge_start"), {"wet_run": "on"}).status_code == 302
    assert Case.objects.filter(pk=case.pk).exists()
    report = PurgeReport.objects.filter(cell=world.a.cell, dry_run=False).latest("pk")
    assert report.counts.get("cases.Case", 0) == 0
    # The scheduled (daily) purge applies the same policy.
    purge_run(cell=world.a.cell, today=ended + dt.timedelta(days=59), wet_run=True, trigger="task")
    assert Case.objects.filter(pk=case.pk).exists()

    persona_client(world, "dpo").post(reverse("privacy:retention_validate"))
    coordinator.post(reverse("privacy:purge_start"), {"wet_run": "on"})
    assert not Case.objects.filter(pk=case.pk).exists()


def test_audit_retention_follows_each_cells_validated_value(world, settings):
    from cmer.privacy.retention import audit_retention_days

    settings.CMER_AUDIT_RETENTION_DAYS = 365
    today = dt.date(2026, 6, 30)
    assert audit_retention_days(today) == 365  # nothing validated: the platform's value
    validated_policy(world.a.cell, audit_months=3)
    RetentionPolicy.objects.create(cell=world.b.cell, audit_months=2)  # not validated: default
    assert audit_retention_days(today) == 365
    RetentionPolicy.objects.filter(cell=world.b.cell).delete()
    validated_policy(world.b.cell, audit_months=6)
    assert audit_retention_days(today) == (today - dt.date(2025, 12, 30)).days  # the longest: 6 months


def test_register_dpia_and_dpo_page_say_which_audit_retention_is_applied_to_each_cell(world, settings):
    """Each cell's validated value is applied to its events by redaction, then the platform's cut
    removes what is left (docs/decisions/0008-audit-retention-per-cell.md); the documents say so."""
    from django.urls import reverse

    from cmer.privacy.documents import register_document
    from cmer.privacy.dpia import dpia_document
    from cmer.privacy.retention import audit_retention_days
    from tests.personas import persona_client

    settings.CMER_AUDIT_RETENTION_DAYS = 3650
    validated_policy(world.a.cell, audit_months=3)
    validated_policy(world.b.cell, audit_months=12)
    applied = audit_retention_days()
    assert 365 <= applied <= 366  # the longest validated value: 12 months

    def audit_row(document) -> str:  # type: ignore[no-untyped-def]
        rows = [value for s in document.sections for label, value in s.rows if label == "Journal d'audit"]
        assert len(rows) == 1
        return rows[0]

    for build in (register_document, dpia_document):
        short, long = audit_row(build(world.a.cell)), audit_row(build(world.b.cell))
        assert short.startswith("3 mois validés pour la cellule, appliqués : passé ce délai")
        assert f"supprimés au bout de {applied} jours" in short
        assert long.startswith("12 mois validés pour la cellule, appliqués")
        assert "avant sa durée validée" not in short + long

    page = persona_client(world, "dpo").get(reverse("privacy:retention"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "3 mois validés pour la cellule, appliqués" in text and "efface le contenu" in text

    # A platform ceiling below a cell's validated value: its events go before that value.
    settings.CMER_AUDIT_RETENTION_DAYS = 30
    assert "supprimés avant sa durée validée" in audit_row(register_document(world.b.cell))
    settings.CMER_AUDIT_RETENTION_DAYS = 100  # beyond A's 3 months, below B's 12
    assert "avant sa durée validée" not in audit_row(register_document(world.a.cell))
    assert "supprimés avant sa durée validée" in audit_row(register_document(world.b.cell))
