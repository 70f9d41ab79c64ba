"""Notification kinds of data protection: the DPO's list of rights requests."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.accounts.roles import Role
from cmer.notifications.kinds import register
from cmer.notifications.services import notify

RIGHTS_REQUEST_DUE = register(
    "rights_request_due",
    label=_("Demande d'exercice de droits à traiter"),
    email_line=_("Une demande d'exercice de droits arrive à échéance."),
    link=lambda _pk: reverse("privacy:rights"),
    target_type="privacy.rightsrequest",
)

MEMBERSHIP_PENDING = register(
    "membership_pending",
    label=_("Appartenance créée par l'administrateur, en attente du président"),
    email_line=_("Un accès à une cellule attend la validation de son président."),
    link=lambda _pk: reverse("privacy:accounts"),
    target_type="accounts.membership",
)


def alert_dpo_of_pending_membership(membership: Membership) -> None:
    """The cell's DPO learns at once that the platform admin opened an access (issue rule)."""
    dpos = [m.user for m in Membership.objects.active().filter(cell_id=membership.cell_id, role=Role.DPO)]
    notify(recipients=dpos, kind=MEMBERSHIP_PENDING, cell=membership.cell, target=membership)
