"""Notification kinds of meetings."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.notifications.kinds import register

MEETING_CONVENED = register(
    "meeting_convened",
    label=_("Convocation à une réunion"),
    email_line=_("Vous êtes convoqué(e) à une réunion de la cellule."),
    link=lambda pk: reverse("meetings:detail", kwargs={"pk": pk}) if pk else None,
    target_type="meetings.meeting",
)
