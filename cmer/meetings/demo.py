"""Demo meetings and support plans (fake data), loaded by `manage.py seed_demo` after the cases' demo.

Past meetings carry validated relevés whose decisions match the cases' current states; an upcoming
meeting is convened with an agenda; supported cases get a plan with actions assigned to the demo
services (member: "CCAS", state member: "Préfecture de police"). Rows are written directly, as
history: the services would refuse to back-date them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from cmer.accounts.demo import CELLS, SERVICES
from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role
from cmer.cases.models import Action, ActionResult, ActionUpdate, Case, SupportPlan
from cmer.cases.persons import person_create
from cmer.cases.services import case_open, case_walk_to
from cmer.cases.states import State
from cmer.meetings.models import AgendaItem, Attendee, Decision, DecisionKind, ItemKind, Meeting

# How many cases of each state the meetings need; the cases' demo usually provides them.
NEEDED = {State.SUPPORT: 3, State.WATCH: 1, State.TRANSMITTED: 1, State.CLOSED: 1, State.TO_REVIEW: 2}
PAST_DECISION = {
    State.SUPPORT: DecisionKind.PROPOSE_SUPPORT,
    State.WATCH: DecisionKind.WATCH,
    State.TRANSMITTED: DecisionKind.TRANSMIT_TO_STATE,
    State.CLOSED: DecisionKind.CLOSE,
}
ACTIONS = [
    ("Entretien d'orientation avec la personne", Role.MEMBER),
    ("Inscription à un parcours d'insertion", Role.MEMBER),
    ("Point de situation avec la préfecture", Role.STATE_MEMBER),
]


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _cases(cell: Cell, state: str, n: int, faker: Any, by: Membership) -> list[Case]:
    cases = list(Case.objects.filter(cell=cell, state=state).order_by("pk")[:n])
    while len(cases) < n:
        person = person_create(
            cell=cell,
            last_name=faker.last_name(),
            first_name=faker.first_name(),
            birth_date=faker.date_of_birth(minimum_age=15, maximum_age=28),
        )
        case = case_open(person=person, by=by)
        # Through the state machine, so the case has the history a person would have left.
        case_walk_to(case=case, to_state=state, by=by, close_reason="no_further_elements")
        if state == State.CLOSED:  # back-dated, as history (the services stamp "now")
            Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=40))
            case.refresh_from_db()
        cases.append(case)
    return cases


def _meeting(
    cell: Cell, day: date, attendees: list[Membership], *, held: bool, validated_by: Membership | None
) -> Meeting:
    start = _at(day, 14)
    meeting = Meeting.objects.create(
        cell=cell,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        place="Salle du conseil municipal",
        convened_at=start - timedelta(days=14),
        opened_at=start if held else None,
        minutes_validated_at=start + timedelta(days=2) if validated_by else None,
        minutes_validated_by=validated_by,
    )
    Attendee.objects.bulk_create(
        [Attendee(meeting=meeting, membership=m, attendance="present" if held else "") for m in attendees]
    )
    return meeting


def _plan(case: Case, members: dict[str, Membership], started: date) -> None:
    if hasattr(case, "support_plan"):
        return
    plan = SupportPlan.objects.create(
        case=case,
        started_on=started,
        consent_on=started - timedelta(days=3),
        parental_info_on=started - timedelta(days=2) if case.is_minor else None,
        path_referent="Conseillère du CCAS",
    )
    today = timezone.localdate()
    for n, (title, role) in enumerate(ACTIONS):
        action = Action.objects.create(
            case=case,
            plan=plan,
            service=SERVICES[role],
            title=title,
            referent="Référent du service",
            start_on=started + timedelta(days=7 * n),
            end_on=today + timedelta(days=5 + 10 * n),
            result=ActionResult.IN_PROGRESS if n == 0 else ActionResult.PLANNED,
        )
        if n == 0:
            ActionUpdate.objects.create(
                action=action,
                by=members[role],
                result=ActionResult.IN_PROGRESS,
                note="Premier entretien tenu, prochain rendez-vous fixé.",
            )


def seed(faker: Any) -> None:
    today = timezone.localdate()
    for spec in CELLS:
        cell = Cell.objects.filter(code=spec["code"]).first()
        if cell is None or Meeting.objects.filter(cell=cell).exists():
            continue  # idempotent: the cell already has its meetings
        members = {m.role: m for m in Membership.objects.active().filter(cell=cell)}
        convened = [members[r] for r in (Role.PRESIDENT, Role.COORDINATOR, Role.MEMBER, Role.STATE_MEMBER)]
        by = members[Role.COORDINATOR]
        cases = {state: _cases(cell, state, n, faker, by) for state, n in NEEDED.items()}
        # Two past meetings: the first examined every case now followed, the second reviewed support.
        first = _meeting(
            cell, today - timedelta(weeks=12), convened, held=True, validated_by=members[Role.PRESIDENT]
        )
        order = 0
        for state, decision in PAST_DECISION.items():
            for case in cases[state]:
                order += 1
                item = AgendaItem.objects.create(meeting=first, case=case, kind=ItemKind.REVIEW, order=order)
                Decision.objects.create(
                    item=item,
                    kind=decision,
                    responsible_service=SERVICES[
                        Role.MEMBER if decision != DecisionKind.TRANSMIT_TO_STATE else Role.STATE_MEMBER
                    ],
                    deadline=first.starts_at.date() + timedelta(weeks=6),
                    recorded_by=by,
                )
        for case in cases[State.SUPPORT]:
            _plan(case, members, first.starts_at.date())
        second = _meeting(
            cell, today - timedelta(weeks=6), convened, held=True, validated_by=members[Role.PRESIDENT]
        )
        for order, case in enumerate(cases[State.SUPPORT], start=1):
            item = AgendaItem.objects.create(
                meeting=second, case=case, kind=ItemKind.SUPPORT_REVIEW, order=order
            )
            Decision.objects.create(
                item=item,
                kind=DecisionKind.CONTINUE,
                responsible_service=SERVICES[Role.MEMBER],
                recorded_by=by,
            )
        # The next meeting, convened, with its agenda (cases to review, the watch, support reviews).
        upcoming = _meeting(cell, today + timedelta(weeks=2), convened, held=False, validated_by=None)
        agenda = [*cases[State.TO_REVIEW], *cases[State.WATCH], *cases[State.SUPPORT][:1]]
        kinds: dict[str, ItemKind] = {
            State.TO_REVIEW: ItemKind.REVIEW,
            State.WATCH: ItemKind.WATCH,
            State.SUPPORT: ItemKind.SUPPORT_REVIEW,
        }
        for order, case in enumerate(agenda, start=1):
            AgendaItem.objects.create(meeting=upcoming, case=case, kind=kinds[case.state], order=order)
