"""Notification kinds of training: the holder's own training page, whatever the certification."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.notifications.kinds import register

CERTIFICATION_EXPIRING = register(
    "certification_expiring",
    label=_("Habilitation bientôt expirée"),
    email_line=_("Votre habilitation arrive bientôt à expiration."),
    link=lambda _pk: reverse("training:self_study"),
    target_type="training.certification",
)
