"""No dead end (docs/rules.md §3): from every state that is not final, the pages lead to a closure.

The test walks `TRANSITIONS` as a graph: for each non-final state it finds the shortest way to
`closed` (a closure always carries a reason), then renders the situation page as the coordinator
and checks that the page offers the first step, as a form posting to the step's URL or a link to
it. A state added to the machine without a way out, or without a page offering its first step,
fails here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

import pytest
from django.urls import reverse

from cmer.cases.states import ENDED, TRANSITIONS, State
from tests.factories import make_case
from tests.factories_meetings import make_meeting
from tests.personas import persona_client

S = State
# How the situation page offers each step: a form posting to, or a link to, this URL name. The
# first step of a meeting's decision is putting the situation on an agenda.
QUALIFY = ("link", "cases:qualify")
CLOSE = ("form", "cases:close")
AGENDA = ("form", "meetings:item_add")
STEP_OFFERS: dict[tuple[str, str], tuple[str, str]] = {
    (S.RECEIVED, S.PREQUALIFICATION): ("form", "cases:take"),
    **{(S.PREQUALIFICATION, exit_): QUALIFY for exit_ in TRANSITIONS[S.PREQUALIFICATION]},
    (S.URGENT_TRANSMITTED, S.TO_REVIEW): ("form", "cases:to_review"),
    (S.TRANSMITTED, S.TO_REVIEW): ("form", "cases:to_review"),
    (S.TO_REVIEW, S.REVIEWED): AGENDA,
    (S.WATCH, S.TO_REVIEW): AGENDA,
    (S.SUPPORT, S.TO_REVIEW): AGENDA,
    **{(source, S.CLOSED): CLOSE for source, targets in TRANSITIONS.items() if S.CLOSED in targets},
}


def first_step_to_closure(transitions: Mapping[str, frozenset[str]], source: str) -> str | None:
    """The first state on a shortest way from `source` to `closed`, or None when there is none."""
    first: dict[str, str] = {}
    queue = deque([source])
    seen = {source}
    while queue:
        state = queue.popleft()
        for nxt in sorted(transitions.get(state, frozenset())):
            if nxt in seen:
                continue
            seen.add(nxt)
            first[nxt] = first.get(state, nxt)
            if nxt == S.CLOSED:
                return first[nxt]
            queue.append(nxt)
    return None


def dead_ends(transitions: Mapping[str, frozenset[str]]) -> list[str]:
    states = set(transitions) | {t for targets in transitions.values() for t in targets}
    return sorted(s for s in states if s not in ENDED and first_step_to_closure(transitions, s) is None)


def test_every_non_final_state_has_a_way_to_closure():
    assert dead_ends(TRANSITIONS) == []
    assert set(TRANSITIONS) == set(State.values), "every state must appear in TRANSITIONS"


def test_the_walk_notices_a_state_without_a_way_out():
    limbo = {
        **TRANSITIONS,
        S.PREQUALIFICATION: TRANSITIONS[S.PREQUALIFICATION] | {"limbo"},
        "limbo": frozenset(),
    }
    assert dead_ends(limbo) == ["limbo"]
    looping = {**TRANSITIONS, S.URGENT_TRANSMITTED: frozenset({"a"}), "a": frozenset({S.URGENT_TRANSMITTED})}
    assert dead_ends(looping) == ["a", S.URGENT_TRANSMITTED]


NON_FINAL = sorted(s for s in State.values if s not in ENDED)


@pytest.mark.django_db
@pytest.mark.parametrize("state", NON_FINAL)
def test_the_situation_page_offers_the_first_step_to_closure(world, state):
    step = first_step_to_closure(TRANSITIONS, state)
    assert step is not None, f"« {State(state).label} » is a dead end"
    offer = STEP_OFFERS.get((state, step))
    assert offer is not None, f"no page is known to offer {state} → {step}: add it to the page and here"
    kind, url_name = offer
    case = make_case(world.a, state)
    meeting = make_meeting(world.a, in_window=False)  # an upcoming meeting the case may be put on
    kwargs = {"pk": meeting.pk} if url_name.startswith("meetings:") else {"pk": case.pk}
    url = reverse(url_name, kwargs=kwargs)
    response = persona_client(world, "coordinator").get(reverse("cases:detail", kwargs={"pk": case.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    needle = f'action="{url}"' if kind == "form" else f'href="{url}"'
    assert needle in html, f"the page of a « {State(state).label} » situation offers no {url_name}"
