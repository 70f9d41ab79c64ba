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
MEETING_GUEST_INVITED = register(
    "meeting_guest_invited",
    label=_("Invitation à un point d'une réunion"),
    email_line=_("Vous êtes invité à intervenir sur un point d'une réunion de la cellule."),
    link=lambda pk: reverse("meetings:detail", kwargs={"pk": pk}) if pk else None,
    target_type="meetings.meeting",
)
MEETING_GUEST_WITHDRAWN = register(
    "meeting_guest_withdrawn",
    label=_("Invitation à une réunion retirée"),
    email_line=_("Votre invitation à une réunion de la cellule a été retirée."),
    link=lambda pk: None,
    target_type="meetings.meeting",
)
MEETING_CANCELLED = register(
    "meeting_cancelled",
    label=_("Réunion annulée"),
    email_line=_("Une réunion de la cellule à laquelle vous étiez convoqué est annulée."),
    link=lambda pk: reverse("meetings:detail", kwargs={"pk": pk}) if pk else None,
    target_type="meetings.meeting",
)
