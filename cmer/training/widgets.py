"""Dashboard widget: the user's own certification status (the roles that report need one)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cmer.accounts.roles import Role
from cmer.training.gate import valid_certification

REPORTING_ROLES = {Role.MEMBER, Role.REPORTER}


def certification_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    if membership is None or membership.role not in REPORTING_ROLES:
        return None
    certification = valid_certification(membership)
    if certification is None:
        text = _(
            "Vous n'avez pas d'habilitation en cours : vous ne pouvez pas encore signaler. Voir la page Formation."
        )
    else:
        text = _("Habilitation à signaler valable jusqu'au %(date)s.") % {
            "date": date_format(certification.expires_on, "j F Y")
        }
    return {"title": _("Habilitation"), "text": text}


def expiring_widget(request: HttpRequest, membership: Any) -> dict[str, Any] | None:
    """For the coordinator and trainers: how many certifications of the cell expire soon."""
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    from cmer.accounts.models import Membership
    from cmer.training.models import Certification
    from cmer.training.permissions import can_view_sessions

    if not can_view_sessions(membership):
        return None
    today = timezone.localdate()
    members = Membership.objects.active().filter(cell_id=membership.cell_id).values("user_id")
    count = (
        Certification.objects.valid(today)
        .filter(user_id__in=members, expires_on__lte=today + timedelta(days=60))
        .count()
    )
    return {
        "title": _("Habilitations"),
        "template": "training/_widget_expiring.html",
        "count": count,
        "url": reverse("training:expiring"),
    }
