"""Links other apps add to a case page (the exchange app's "prepare a transmission").

Apps that build on cases register a function here from their AppConfig.ready; the case page
shows what each returns for the current membership. Cases thus never imports those apps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.functional import Promise

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.cases.models import Case


@dataclass(frozen=True)
class CaseLink:
    url: str
    label: str | Promise
    icon: str = ""  # a DSFR icon class, e.g. "fr-icon-send-plane-line"


LinkFn = Callable[["Membership", "Case"], CaseLink | None]
_providers: list[LinkFn] = []


def register(fn: LinkFn) -> LinkFn:
    """Add a provider: it returns a link for this membership and case, or None (asks its predicate)."""
    if fn not in _providers:
        _providers.append(fn)
    return fn


def links_for(membership: Membership, case: Case) -> list[CaseLink]:
    return [link for fn in _providers if (link := fn(membership, case)) is not None]
