"""The situation's history in plain French, whatever the stored note says.

Notes written before the labels existed may carry codes: « Réunion n° 12, décision :
propose_support », facts as « #68, #67 ». Each note is read through the labels when it is shown
(cmer/audit/labels.py knows every closed-list code of the models) instead of being trusted as
stored; today's notes pass through unchanged.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmer.audit.labels import value_label

_MEETING_DECISION = re.compile(r"Réunion n° ?\d+, décision : ([a-z_]+)")
_MEETING_NUMBER = re.compile(r"[Rr]éunion n° ?\d+")
_IDS = re.compile(r"#\d+(?:\s*,\s*#\d+)*")
_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")


def _label(code: str) -> str:
    return value_label(code) or code


def plain_note(note: str) -> str:
    note = _MEETING_DECISION.sub(
        lambda m: _("Décision de réunion : %(decision)s") % {"decision": _label(m.group(1))}, note
    )
    note = _MEETING_NUMBER.sub(lambda m: _("Réunion"), note)

    def facts(match: re.Match[str]) -> str:
        count = match.group(0).count("#")
        return ngettext("%(count)d fait observé", "%(count)d faits observés", count) % {"count": count}

    note = _IDS.sub(facts, note)
    return _CODE.sub(lambda m: _label(m.group(0)), note)
