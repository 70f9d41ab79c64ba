"""The exchange app's section of the situation page: transmissions to the State and its answers.

Registered with cmer.cases.sections in ExchangeConfig.ready. Read through Transmission.visible_to:
a State member sees the sent transmissions only; a commune member none (docs/rules.md §2).
The préfet's information is a compartment and never appears here (docs/rules.md §6).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.cases.models import Case
from cmer.cases.sections import CaseSection
from cmer.exchange import permissions as perms
from cmer.exchange.models import Transmission


def exchange_section(membership: Membership, case: Case) -> CaseSection | None:
    if not perms.can_view_register(membership):
        return None
    rows = list(
        Transmission.objects.visible_to(membership)
        .filter(case=case)
        .select_related("feedback")
        .order_by("-prepared_at", "-pk")
    )
    return CaseSection(
        anchor="echanges-etat",
        title=_("Échanges avec l'État"),
        template="exchange/case_section.html",
        context={"rows": rows, "can": perms.register_abilities(membership)},
        order=50,
    )
