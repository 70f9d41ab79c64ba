"""Notification kinds of the intake: they point at the case the signalement opened or joined."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cmer.notifications.kinds import register


def _qualify(case_id: int | None) -> str | None:
    return reverse("cases:qualify", kwargs={"pk": case_id}) if case_id else None


URGENT_REFERRAL = register(
    "urgent_referral",
    label=_("Urgent : danger imminent"),
    email_line=_("Un signalement urgent (danger imminent) a été reçu par votre cellule."),
    # The dashboard, not the case: its first card lists the urgent cases to those who qualify and
    # gives the State members their count, so no recipient lands on a page refused to them.
    link=lambda _pk: reverse("core:dashboard"),
    target_type="cases.case",
)
REFERRAL_TO_QUALIFY = register(
    "referral_to_qualify",
    label=_("Signalement à qualifier"),
    email_line=_("Un signalement attend sa pré-qualification."),
    link=_qualify,
    target_type="cases.case",
)
KNOWN_PERSON = register(
    "known_person",
    label=_("Personne déjà connue de la cellule"),
    email_line=_("Un signalement concerne une situation déjà connue de la cellule."),
    link=_qualify,
    target_type="cases.case",
)
