"""The life of a situation (docs/rules.md §3): states and the transitions a human may make."""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    RECEIVED = "received", _("reçue")
    PREQUALIFICATION = "prequalification", _("en pré-qualification")
    DISMISSED = "dismissed", _("classée sans suite")
    COMMON_LAW = "common_law", _("orientée vers le droit commun")
    URGENT_TRANSMITTED = "urgent_transmitted", _("transmise en urgence")
    TO_REVIEW = "to_review", _("à examiner en réunion")
    REVIEWED = "reviewed", _("examinée")
    SUPPORT = "support", _("accompagnement")
    WATCH = "watch", _("veille")
    TRANSMITTED = "transmitted", _("transmise à l'État")
    CLOSED = "closed", _("clôturée")
    ARCHIVED = "archived", _("archivée")


# Value -> label, the labels lazy (translated when shown). Django's get_state_display() rebuilds
# and translates all twelve labels at every call to hash them; the list of situations calls it
# fifty times (docs/performance.md, P1).
STATE_LABELS: dict[str, str | Promise] = dict(State.choices)

S = State
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.PREQUALIFICATION}),
    S.PREQUALIFICATION: frozenset({S.DISMISSED, S.COMMON_LAW, S.URGENT_TRANSMITTED, S.TO_REVIEW}),
    # Once the State has the case in hand, the cell may close it (with a reason) or examine it again.
    S.URGENT_TRANSMITTED: frozenset({S.TO_REVIEW, S.CLOSED}),
    S.TO_REVIEW: frozenset({S.REVIEWED}),
    S.REVIEWED: frozenset({S.SUPPORT, S.WATCH, S.TRANSMITTED, S.CLOSED}),
    S.WATCH: frozenset({S.TO_REVIEW, S.CLOSED}),
    S.SUPPORT: frozenset({S.TO_REVIEW, S.CLOSED}),
    S.TRANSMITTED: frozenset({S.TO_REVIEW, S.SUPPORT, S.CLOSED}),
    S.DISMISSED: frozenset({S.ARCHIVED}),
    S.COMMON_LAW: frozenset({S.ARCHIVED}),
    # Reopening (new facts about the same person, within retention) sends the case back to a meeting.
    S.CLOSED: frozenset({S.ARCHIVED, S.TO_REVIEW}),
    S.ARCHIVED: frozenset(),
}
# States a computed path never goes through unless they are its end (path_between).
NEVER_VIA = frozenset({S.URGENT_TRANSMITTED})
# States in which the case is finished for the cell (read-only but for archiving).
ENDED = frozenset({S.DISMISSED, S.COMMON_LAW, S.CLOSED, S.ARCHIVED})


class CloseReason(models.TextChoices):
    END_OF_SUPPORT = "end_of_support", _("fin de l'accompagnement")
    TAKEN_OVER = "taken_over", _("prise en charge par l'État ou la justice")
    MOVED_AWAY = "moved_away", _("déménagement hors de la commune")
    NO_FURTHER_ELEMENTS = "no_further_elements", _("absence d'éléments nouveaux")
    SUPPORT_REFUSED = "support_refused", _("refus de l'accompagnement")
    AGE_LIMIT = "age_limit", _("limite d'âge")
    OTHER = "other", _("autre motif")


def can_transition(source: str, target: str) -> bool:
    """True when the state machine lets a case go from `source` to `target` in one step."""
    return target in TRANSITIONS.get(source, frozenset())


def path_between(source: str, target: str) -> list[str]:
    """The shortest list of states leading from `source` to `target` (empty if equal or unreachable).

    For jobs that must bring a case to a given state through the machine, one step at a time.
    An urgent transmission is never a step on the way: a job must not make a case look urgent.
    """
    previous: dict[str, str] = {}
    frontier = [source]
    while frontier and target not in previous and source != target:
        following = []
        for state in frontier:
            for nxt in sorted(TRANSITIONS.get(state, frozenset())):
                if nxt in NEVER_VIA and nxt != target:
                    continue
                if nxt != source and nxt not in previous:
                    previous[nxt] = state
                    following.append(nxt)
        frontier = following
    if target not in previous:
        return []
    path = [target]
    while previous[path[-1]] != source:
        path.append(previous[path[-1]])
    return path[::-1]


# The state a meeting's decision leads to, by decision code (the codes of meetings' DecisionKind;
# the cases app names them as plain strings so that it does not depend on meetings).
# "continue" keeps a supported case where it is.
DECISION_TARGETS: dict[str, str] = {
    "transmit_to_state": S.TRANSMITTED,
    "propose_support": S.SUPPORT,
    "watch": S.WATCH,
    "close": S.CLOSED,
}
KEEP_DECISIONS = frozenset({"continue"})


def decision_path(source: str, decision: str) -> list[str]:
    """The states a case in `source` goes through, in order, for a meeting's `decision`.

    A case to review is reviewed, then moves to the decided state; a supported case closed by its
    review goes straight to closed; any other case (watch, support, transmitted) goes back through
    review first, since the meeting examined it again. Unknown decisions raise KeyError.
    """
    if decision in KEEP_DECISIONS:
        return []
    target = DECISION_TARGETS[decision]
    if source == S.TO_REVIEW:
        return [S.REVIEWED, target]
    if source == S.SUPPORT and target == S.CLOSED:
        return [S.CLOSED]
    return [S.TO_REVIEW, S.REVIEWED, target]
