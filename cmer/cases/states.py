"""The life of a situation (docs/rules.md §3): states and the transitions a human may make."""

from __future__ import annotations

from django.db import models
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


S = State
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.PREQUALIFICATION}),
    S.PREQUALIFICATION: frozenset({S.DISMISSED, S.COMMON_LAW, S.URGENT_TRANSMITTED, S.TO_REVIEW}),
    S.URGENT_TRANSMITTED: frozenset({S.TO_REVIEW}),
    S.TO_REVIEW: frozenset({S.REVIEWED}),
    S.REVIEWED: frozenset({S.SUPPORT, S.WATCH, S.TRANSMITTED, S.CLOSED}),
    S.WATCH: frozenset({S.TO_REVIEW, S.CLOSED}),
    S.SUPPORT: frozenset({S.TO_REVIEW, S.CLOSED}),
    S.TRANSMITTED: frozenset({S.TO_REVIEW, S.SUPPORT, S.CLOSED}),
    S.DISMISSED: frozenset({S.ARCHIVED}),
    S.COMMON_LAW: frozenset({S.ARCHIVED}),
    S.CLOSED: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
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
    return target in TRANSITIONS.get(source, frozenset())
