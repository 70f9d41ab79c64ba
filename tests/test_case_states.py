"""The state machine: only TRANSITIONS are possible, each recorded, the watch renewal cap holds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmer.audit.models import AuditEvent
from cmer.cases.models import Case, Transition
from cmer.cases.services import TransitionError, case_close, case_transition
from cmer.cases.states import TRANSITIONS, State
from tests.factories import make_case

TARGETS = st.lists(st.sampled_from([*State.values, "suspect", ""]), min_size=1, max_size=25)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(targets=TARGETS)
def test_random_transition_sequences_stay_inside_the_machine(world, targets):
    by = world.a.members["coordinator"]
    case = make_case(world.a)
    for target in targets:
        before = Case.objects.get(pk=case.pk).state
        try:
            case_transition(case=case, to_state=target, by=by, note="fait")
        except TransitionError as exc:
            assert str(exc)  # a message for the user
            assert Case.objects.get(pk=case.pk).state == before
        else:
            assert target in TRANSITIONS[before]
        assert Case.objects.get(pk=case.pk).state in State.values
    for t in Transition.objects.filter(case=case):
        assert t.to_state in TRANSITIONS[t.from_state]
    assert AuditEvent.objects.filter(action="case.transition", target_id=str(case.pk)).count() == (
        Transition.objects.filter(case=case).count()
    )


def test_invalid_transition_is_refused_with_a_clear_message(world):
    case = make_case(world.a, State.RECEIVED)
    with pytest.raises(TransitionError, match="Transition impossible : « reçue » → « accompagnement »"):
        case_transition(case=case, to_state=State.SUPPORT, by=world.a.members["coordinator"])
    case.refresh_from_db()
    assert case.state == State.RECEIVED
    assert not Transition.objects.filter(case=case).exists()


def test_transition_by_another_cell_is_refused(world):
    case = make_case(world.a, State.RECEIVED)
    with pytest.raises(TransitionError, match="n'appartient pas à votre cellule"):
        case_transition(case=case, to_state=State.PREQUALIFICATION, by=world.b.members["coordinator"])


def test_transition_records_who_when_why(world):
    case = make_case(world.a, State.PREQUALIFICATION)
    by = world.a.members["president"]
    case_transition(case=case, to_state=State.TO_REVIEW, by=by, note="Trois faits datés concordants.")
    t = Transition.objects.get(case=case)
    assert (t.from_state, t.to_state, t.by, t.note) == (
        State.PREQUALIFICATION,
        State.TO_REVIEW,
        by,
        "Trois faits datés concordants.",
    )
    event = AuditEvent.objects.get(action="case.transition", target_id=str(case.pk))
    assert event.data == {"from": "prequalification", "to": "to_review"}
    assert event.actor_id == by.user_id


def _watch_cycle(case: Case, by) -> None:  # type: ignore[no-untyped-def]
    case_transition(case=case, to_state=State.TO_REVIEW, by=by)
    case_transition(case=case, to_state=State.REVIEWED, by=by)
    case_transition(case=case, to_state=State.WATCH, by=by)


def test_watch_renewals_are_capped_by_the_cell(world):
    by = world.a.members["coordinator"]
    world.a.cell.watch_max_renewals = 2
    world.a.cell.save()
    case = make_case(world.a, State.REVIEWED)
    case_transition(case=case, to_state=State.WATCH, by=by)  # first watch: not a renewal
    _watch_cycle(case, by)
    _watch_cycle(case, by)
    case.refresh_from_db()
    assert case.watch_renewals == 2
    case_transition(case=case, to_state=State.TO_REVIEW, by=by)
    case_transition(case=case, to_state=State.REVIEWED, by=by)
    with pytest.raises(TransitionError, match="renouvelée 2 fois"):
        case_transition(case=case, to_state=State.WATCH, by=by)
    case.refresh_from_db()
    assert (case.state, case.watch_renewals) == (State.REVIEWED, 2)
    case_close(case=case, reason="no_further_elements", by=by)  # the other exits stay open
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.close_reason == "no_further_elements"


def test_close_with_unknown_reason_changes_nothing(world):
    case = make_case(world.a, State.REVIEWED)
    with pytest.raises(TransitionError, match="Motif de clôture inconnu"):
        case_close(case=case, reason="because", by=world.a.members["coordinator"])
    case.refresh_from_db()
    assert case.state == State.REVIEWED


# --- one write path: decisions, jobs and the system actor ----------------------------------------


def test_every_meeting_decision_has_its_state_in_the_cases_mapping():
    from cmer.cases.states import DECISION_TARGETS, KEEP_DECISIONS
    from cmer.meetings.models import DecisionKind

    assert set(DECISION_TARGETS) | KEEP_DECISIONS == set(DecisionKind.values)
    assert not set(DECISION_TARGETS) & KEEP_DECISIONS


@pytest.mark.parametrize(
    ("source", "decision", "expected"),
    [
        (State.TO_REVIEW, "propose_support", [State.REVIEWED, State.SUPPORT]),
        (State.TO_REVIEW, "close", [State.REVIEWED, State.CLOSED]),
        (State.WATCH, "watch", [State.TO_REVIEW, State.REVIEWED, State.WATCH]),
        (State.SUPPORT, "close", [State.CLOSED]),
        (State.SUPPORT, "transmit_to_state", [State.TO_REVIEW, State.REVIEWED, State.TRANSMITTED]),
        (State.SUPPORT, "continue", []),
    ],
)
def test_decision_path_follows_the_machine(source, decision, expected):
    from cmer.cases.states import decision_path

    path = decision_path(source, decision)
    assert path == expected
    for before, after in zip([source, *path], path, strict=False):
        assert after in TRANSITIONS[before]


def test_path_between_is_the_shortest_walk_and_empty_when_unreachable():
    from cmer.cases.states import path_between

    assert path_between(State.RECEIVED, State.SUPPORT) == [
        State.PREQUALIFICATION,
        State.TO_REVIEW,
        State.REVIEWED,
        State.SUPPORT,
    ]
    assert path_between(State.ARCHIVED, State.RECEIVED) == []
    assert path_between(State.WATCH, State.WATCH) == []


def test_walk_to_leaves_one_transition_per_step_and_refuses_the_unreachable(world):
    from cmer.cases.services import case_walk_to

    by = world.a.members["coordinator"]
    case = make_case(world.a, State.RECEIVED)
    case_walk_to(case=case, to_state=State.CLOSED, by=by, close_reason="moved_away")
    assert case.state == State.CLOSED and case.close_reason == "moved_away"
    steps = list(Transition.objects.filter(case=case).values_list("from_state", "to_state"))
    assert steps == [
        (State.RECEIVED, State.PREQUALIFICATION),
        (State.PREQUALIFICATION, State.TO_REVIEW),
        (State.TO_REVIEW, State.REVIEWED),
        (State.REVIEWED, State.CLOSED),
    ]
    with pytest.raises(TransitionError):
        case_walk_to(case=case, to_state=State.RECEIVED, by=by)
    assert Transition.objects.filter(case=case).count() == 4


def test_a_system_actor_transition_names_the_job_and_acts_in_any_cell(world):
    from cmer.cases.models import SystemActor

    case = make_case(world.b, State.CLOSED)
    case_transition(case=case, to_state=State.ARCHIVED, by=SystemActor.PURGE)
    t = Transition.objects.get(case=case)
    assert (t.by, t.system_actor, t.get_system_actor_display()) == (
        None,
        "purge",
        "purge automatique (durées de conservation)",
    )
    event = AuditEvent.objects.get(action="case.transition", target_id=str(case.pk))
    assert event.actor_id is None and event.data["by"] == "system:purge"


def test_a_transition_needs_exactly_one_actor(world):
    from django.db import IntegrityError, transaction

    case = make_case(world.a, State.RECEIVED)
    for extra in (
        {"by": None, "system_actor": ""},
        {"by": world.a.members["coordinator"], "system_actor": "purge"},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            Transition.objects.create(case=case, from_state="received", to_state="prequalification", **extra)
