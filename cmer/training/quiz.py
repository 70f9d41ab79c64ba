"""The optional self-study quiz: a few questions on how the faisceau d'indicateurs is used.

It checks that the agent understood the caveats, never anything about the people they report.
The questions are in code (reviewed like the rest) so a result always refers to known questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Question(NamedTuple):
    key: str
    text: StrOrPromise
    choices: list[tuple[str, StrOrPromise]]
    answer: str


YES_NO: list[tuple[str, StrOrPromise]] = [("yes", _("Oui")), ("no", _("Non"))]

QUESTIONS: list[Question] = [
    Question(
        "single_sign",
        _("Un seul indicateur observé suffit-il à caractériser une radicalisation ?"),
        YES_NO,
        "no",
    ),
    Question(
        "religious_practice",
        _("La pratique religieuse (prière, tenue, alimentation) est-elle en soi un indicateur ?"),
        YES_NO,
        "no",
    ),
    Question(
        "conversion",
        _("Une conversion religieuse est-elle, en soi, un signe de radicalisation ?"),
        YES_NO,
        "no",
    ),
    Question(
        "what_to_write",
        _("Que décrit-on dans un signalement ?"),
        [
            ("facts", _("Des faits observés, datés, rattachés à un indicateur")),
            ("opinion", _("Son impression sur la dangerosité de la personne")),
            ("belief", _("Les convictions religieuses ou politiques de la personne")),
        ],
        "facts",
    ),
    Question(
        "danger",
        _("En cas de danger imminent, que faire ?"),
        [
            ("call17", _("Appeler le 17, puis signaler")),
            ("wait", _("Attendre la prochaine réunion de la cellule")),
            ("email", _("Envoyer un courriel au coordonnateur")),
        ],
        "call17",
    ),
]


def correct_count(answers: dict[str, str]) -> int:
    return sum(1 for q in QUESTIONS if answers.get(q.key) == q.answer)
