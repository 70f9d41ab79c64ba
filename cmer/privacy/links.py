"""The rights actions offered on a case page (registered into cmer/cases/links.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.cases.links import CaseLink
from cmer.privacy.permissions import can_erase_person, can_rectify_person

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.cases.models import Case


def rectify_link(membership: Membership, case: Case) -> CaseLink | None:
    if not can_rectify_person(membership):
        return None
    return CaseLink(
        reverse("privacy:rectify", args=[case.pk]),
        _("Rectifier l'identité ou les faits"),
        "fr-icon-edit-line",
    )


def erase_link(membership: Membership, case: Case) -> CaseLink | None:
    if not can_erase_person(membership):
        return None
    return CaseLink(
        reverse("privacy:erase", args=[case.pk]),
        _("Effacer ou limiter (droits de la personne)"),
        "fr-icon-delete-line",
    )
