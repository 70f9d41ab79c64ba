"""Notification kinds of the exchange with the State, and the overdue-feedback reminder."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.notifications.kinds import register, register_reminder

TRANSMISSION_TO_APPROVE = register(
    "transmission_to_approve",
    label=_("Transmission à approuver"),
    email_line=_("Une transmission à l'État attend votre approbation."),
    link=lambda pk: reverse("exchange:transmission_detail", kwargs={"pk": pk}) if pk else None,
    target_type="exchange.transmission",
)
# Sent to State members too, who may not read the transmission itself: the link is the register.
FEEDBACK_OVERDUE = register(
    "feedback_overdue",
    label=_("Retour de l'État en retard"),
    email_line=_("Le retour de l'État sur une transmission est en retard."),
    link=lambda _pk: reverse("exchange:transmissions"),
    target_type="exchange.transmission",
)


def _feedback_overdue() -> int:
    from cmer.exchange.services import feedback_overdue_notify  # services import the kinds above

    return feedback_overdue_notify()


register_reminder("feedback_overdue", _feedback_overdue)
