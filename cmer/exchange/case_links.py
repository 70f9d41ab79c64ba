"""The exchange app's link on a case page (registered with cmer.cases.links in ExchangeConfig.ready)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.cases.links import CaseLink
from cmer.cases.models import Case
from cmer.cases.states import ENDED
from cmer.exchange.permissions import can_prepare_transmission


def transmission_link(membership: Membership, case: Case) -> CaseLink | None:
    """Prepare a transmission to the State, while the case is open, for whoever may prepare one."""
    if not can_prepare_transmission(membership) or case.state in ENDED:
        return None
    return CaseLink(
        url=reverse("exchange:transmission_create", kwargs={"case_pk": case.pk}),
        label=_("Préparer une transmission à l'État"),
        icon="fr-icon-send-plane-line",
    )
