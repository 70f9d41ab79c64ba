"""Notification kinds of data protection: the DPO's list of rights requests."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.notifications.kinds import register

RIGHTS_REQUEST_DUE = register(
    "rights_request_due",
    label=_("Demande d'exercice de droits à traiter"),
    email_line=_("Une demande d'exercice de droits arrive à échéance."),
    link=lambda _pk: reverse("privacy:rights"),
    target_type="privacy.rightsrequest",
)
