"""The maintained French term list behind the catalogue validation and the bias guard.

Terms are matched on normalised text (cmer.core.crypto.normalise: no accents, no capitals), as
whole words, with their feminine and plural forms spelled out in each pattern. A term names a
category that may not describe a person in this platform (GDPR art. 9, CNIL AU-038, the SG-CIPD
rule "éviter toute stigmatisation d'une pratique religieuse"), or a judgement instead of a fact.

Maintaining the list: add a pattern to the right category below and a test example in
tests/test_bias.py (one that must warn, and a close factual sentence that must not). Patterns are
regular expressions on accent-free lower-case text; keep each one a whole word (no bare stems that
would catch unrelated words, e.g. "jeune" is "young" once the accent of "jeûne" is gone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.utils.translation import gettext_lazy as _

from cmer.core.crypto import normalise


class Category:
    RELIGION = "religion"
    RELIGIOUS_PRACTICE = "religious_practice"
    ORIGIN = "origin"
    NATIONALITY = "nationality"
    FAMILY_STRUCTURE = "family_structure"
    HEALTH = "health"
    POLITICAL_OPINION = "political_opinion"
    JUDGEMENT = "judgement"
    # Police and intelligence wording: what only police and intelligence services may hold
    # (their files, custody, criminal record). A CMER neither collects nor records it.
    POLICE_INTELLIGENCE = "police_intelligence"


# What may never be the subject of a catalogue item (docs/indicator-catalogue.md, "Rules for the catalogue").
# Judgement words are not here: the official wording itself says "sites extrémistes violents".
CATALOGUE_FORBIDDEN = frozenset(
    {
        Category.RELIGION,
        Category.RELIGIOUS_PRACTICE,
        Category.ORIGIN,
        Category.NATIONALITY,
        Category.FAMILY_STRUCTURE,
        Category.HEALTH,
        Category.POLITICAL_OPINION,
    }
)

CATEGORY_LABELS = {
    Category.RELIGION: _("une religion"),
    Category.RELIGIOUS_PRACTICE: _("une pratique ou une apparence religieuse"),
    Category.ORIGIN: _("une origine ethnique"),
    Category.NATIONALITY: _("une nationalité"),
    Category.FAMILY_STRUCTURE: _("une structure familiale"),
    Category.HEALTH: _("un état de santé"),
    Category.POLITICAL_OPINION: _("une opinion politique"),
    Category.JUDGEMENT: _("un jugement sur la personne"),
    Category.POLICE_INTELLIGENCE: _("une information de police ou de renseignement"),
}


def _adj(stem: str) -> str:
    """musulman, musulmane, musulmans, musulmanes."""
    return rf"{stem}(?:e|s|es)?"


def _ien(stem: str) -> str:
    """algerien, algerienne, algeriens, algeriennes."""
    return rf"{stem}(?:ien|iens|ienne|iennes)"


def _e(stem: str) -> str:
    """Words already ending in -e: fanatique, fanatiques."""
    return rf"{stem}s?"


# category -> list of patterns (regular expressions on normalised text, whole words)
TERMS: dict[str, list[str]] = {
    Category.RELIGION: [
        r"religions?",
        r"religieu(?:x|se|ses)",
        r"islam",
        r"islamique(?:s)?",
        _adj("musulman"),
        r"chretien(?:s|ne|nes)?",
        r"christianisme",
        _e("catholique"),
        _adj("protestant"),
        _e("evangelique"),
        r"jui(?:f|fs|ve|ves)",
        r"judaisme",
        _e("israelite"),
        _e("bouddhiste"),
        r"hindou(?:e|s|es)?",
        r"sikhs?",
        _e("salafiste"),
        r"salafisme",
        _e("wahhabite"),
        r"conversion",
        r"converti(?:e|s|es)?",
        r"s est converti(?:e|s|es)?",
        r"(?:mosquee|eglise|synagogue|coran|bible|torah|imam|rabbin|pretre)s?",
    ],
    Category.RELIGIOUS_PRACTICE: [
        r"prieres?",
        r"prier",
        r"tapis de priere",
        # "voile" alone is also sailing ("fait de la voile"): only the worn veil is listed.
        r"(?:porte|portent|portait|portaient|porter|met|mettre|mis|port|portee?) (?:le|un|du|son|d un) voile",
        r"voiles? (?:integral|islamique)s?",
        r"voilees?",
        r"foulards?",
        r"(?:hijab|niqab|burqa|burka|jilbab|qamis|djellaba|kippa|kippot)s?",
        r"barbe(?:s)?",
        r"barbu(?:e|s|es)?",
        r"ramadan",
        r"halal",
        r"casher|kasher|cacher",
        r"pelerinage",
        r"chapelets?",
        r"pratiquant(?:e|s|es)? religieu(?:x|se|ses)",
    ],
    Category.ORIGIN: [
        r"d origine [a-z]+",
        r"origines? (?:ethniques?|etrangeres?)",
        r"ethni(?:e|es|que|ques)",
        r"races?",
        r"raciale?s?|raciaux",
        _adj("africain"),
        r"nord africain(?:e|s|es)?",
        _adj("maghrebin"),
        _e("arabe"),
        r"beurs?|beurette",
        r"rebeus?",
        _e("asiatique"),
        r"basane(?:e|s|es)?",
        r"(?:personne|homme|femme|jeune|individu)s? de couleur",
        r"gitan(?:e|s|es)?",
        r"roms?",
        r"issue? de l immigration",
        _adj("immigre"),
    ],
    Category.NATIONALITY: [
        r"nationalites?",
        r"binationa(?:l|le|les|ux)",
        r"etrang(?:er|ere|ers|eres)",
        r"sans papiers",
        _ien("alger"),
        _adj("marocain"),
        _ien("tunis"),
        r"turc|turcs|turque|turques",
        _ien("syr"),
        _adj("afghan"),
        r"pakistanais(?:e|es)?",
        _e("tchetchene"),
        _ien("mal"),
        r"senegalais(?:e|es)?",
        _ien("comor"),
        r"russes?",
        _adj("migrant"),
        _adj("refugie"),
    ],
    Category.FAMILY_STRUCTURE: [
        r"monoparenta(?:l|le|les|ux)",
        r"meres? celibataires?",
        r"peres? celibataires?",
        r"parents? divorces?",
        r"parents? separes?",
        r"familles? recomposees?",
        r"familles? nombreuses?",
        r"(?:eleve|elevee|eleves|elevees) par sa mere seule",
        r"sans pere",
        r"pere absent",
    ],
    Category.HEALTH: [
        r"schizophren(?:e|es|ie)",
        r"bipolaires?",
        r"depressi(?:f|fs|ve|ves|on)",
        r"autistes?",
        r"autisme",
        r"psychiatri(?:e|que|ques)",
        r"psychotiques?",
        r"psychoses?",
        r"parano(?:s|iaque|iaques)?",
        r"psychopathes?",
        r"troubles? (?:mentale?s?|mentaux|psychiques?|psychiatriques?)",
        r"malades? menta(?:l|le|les|ux)",
        r"handicap(?:e|ee|es|ees)?",
        r"toxicomanes?",
        r"alcooliques?",
        r"tdah",
        r"maladies?",
    ],
    Category.POLITICAL_OPINION: [
        r"gauchistes?",
        r"anarchistes?",
        r"communistes?",
        r"extreme (?:gauche|droite)",
        r"ultra (?:gauche|droite)",
        r"antifas?",
        r"nationalistes?",
        r"royalistes?",
        r"(?:mouvance|mouvement|groupe)s? identitaires?",
        r"zadistes?",
        r"gilets? jaunes?",
        r"syndicalistes?",
        r"anticapitalistes?",
        r"opinions? politiques?",
        r"(?:militant|sympathisant)(?:e|s|es)? (?:politique|d un parti)s?",
    ],
    Category.JUDGEMENT: [
        r"dangereu(?:x|se|ses)",
        r"fanatiques?",
        r"fanatise(?:e|s|es)?",
        r"fanatisme",
        r"integristes?",
        r"integrisme",
        r"radicalise(?:e|s|es)?",
        r"radicalisation",
        r"extremistes?",
        r"extremisme",
        r"islamistes?",
        r"islamisme",
        r"(?:djihad|jihad)istes?",
        r"terroristes?",
        r"fondamentalistes?",
        r"endoctrine(?:e|s|es)?",
        r"embrigade(?:e|s|es)?",
        r"illumine(?:e|s|es)?",
        r"fous?|folles?",
        r"inquietant(?:e|s|es)?",
        r"louches?",
        r"suspect(?:e|s|es)?",
        r"malsain(?:e|s|es)?",
        r"sectaires?",
        r"bombe a retardement",
    ],
    Category.POLICE_INTELLIGENCE: [
        # "fiché S", "fichée S", "fiche S", "fiches S" all read "fiche(e)(s) s" once normalised.
        r"fiche(?:e|s|es)? s",
        r"fsprt",
        r"fijait",
        r"fpr",
        r"fichier des personnes recherchees",
        r"taj",
        r"antecedents? judiciaires?",
        # Not "casier" alone: a pupil's locker ("dans son casier") is a plain fact.
        r"casiers? judiciaires?",
        r"(?:a|avait|possede|possedait) un casier",
        r"(?:pas|sans|aucun) (?:de )?casier",
        r"casier (?:vierge|charge)",
        r"(?:bien |deja )?connu(?:e|s|es)? (?:des|par les) services(?: de police| de renseignement| de gendarmerie)?",
        r"connu(?:e|s|es)? de la police",
        r"gardes? a vue",
        r"(?:place|placee|places|placees) en garde a vue",
        r"dgsi",
        r"dgse",
        r"renseignement territorial",
        r"services? (?:de|du) renseignements?",
        r"(?:note|notes|fiche|fiches) (?:de|du) renseignement",
        r"ecoutes? telephoniques?",
        r"ecoute(?:e|s|es)? par la police",
    ],
}


@dataclass(frozen=True)
class Hit:
    category: str
    term: str  # the words as the writer typed them (accents and capitals kept)


@cache
def _compiled() -> list[tuple[str, re.Pattern[str]]]:
    # One alternation per category (8 scans instead of 140). Longer patterns first, so that at a
    # given position a multi-word term ("tapis de priere") wins over a word it contains.
    compiled = []
    for category, patterns in TERMS.items():
        alternation = "|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True))
        compiled.append((category, re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])")))
    return compiled


_LIGATURES = {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"}


@cache
def _fold(char: str) -> str:
    # NFKD leaves ligatures whole: "sœur" must still read "soeur".
    folded = normalise(_LIGATURES.get(char, char)) or " "
    return "".join(c if c.isascii() and c.isalnum() else " " for c in folded)


def prepare(text: str) -> tuple[str, list[int]]:
    """Accent-free lower-case words separated by single spaces, and where each character came from.

    The same folding as cmer.core.crypto.normalise, done character by character so that a match
    can be shown to the writer in their own spelling.
    """
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text or ""):
        for folded in _fold(char):
            if folded == " " and (not chars or chars[-1] == " "):
                continue
            chars.append(folded)
            origin.append(index)
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
    return "".join(chars), origin


def find(text: str, categories: frozenset[str] | None = None) -> list[Hit]:
    """Every listed term in `text`, once per (category, term), in order of appearance.

    A match inside a longer one ("maghrébine" in "d'origine maghrébine") is not repeated.
    """
    prepared, origin = prepare(text)
    spans: list[tuple[int, int, str]] = []
    for category, pattern in _compiled():
        if categories is not None and category not in categories:
            continue
        spans.extend((m.start(), m.end(), category) for m in pattern.finditer(prepared))
    spans.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    hits: list[Hit] = []
    seen: set[tuple[str, str]] = set()
    covered_until = -1
    for start, end, category in spans:
        if end <= covered_until:
            continue
        covered_until = max(covered_until, end)
        term = text[origin[start] : origin[end - 1] + 1]
        key = (category, prepared[start:end])
        if key not in seen:
            seen.add(key)
            hits.append(Hit(category, term))
    return hits
