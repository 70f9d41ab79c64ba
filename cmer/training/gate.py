"""The certification gate: only a trained agent holding a valid certification may report.

The rules are predicates of `cmer.training.permissions` (needs_certification,
has_valid_certification, is_stopped_by_certification_gate), used by the intake's
can_submit_referral (docs/rules.md §2); this module shows the person why they are stopped and
whom to contact.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cmer.accounts.models import Membership
from cmer.accounts.roles import TRAINING_STAFF
from cmer.audit.services import record_denial
from cmer.training.models import Certification
from cmer.training.permissions import has_valid_certification, is_stopped_by_certification_gate

# has_valid_certification is the intake's import (cmer.referrals.permissions).
__all__ = [
    "explain_certification_gate",
    "has_valid_certification",
    "refusal_context",
    "refusal_response",
    "valid_certification",
]


def valid_certification(membership: Membership | None) -> Certification | None:
    """The user's certification that lasts the longest, for display ("valable jusqu'au …")."""
    if membership is None:
        return None
    return Certification.objects.valid().filter(user_id=membership.user_id).order_by("-expires_on").first()


def refusal_context(membership: Membership | None) -> dict[str, Any]:
    """What the refusal page says: the person's own lapsed certification, and whom to contact.

    The contacts are the training staff of the current cell (who runs sessions there).
    """
    if membership is None:
        return {"lapsed": None, "contacts": []}
    lapsed = (
        Certification.objects.filter(user_id=membership.user_id, revoked_at__isnull=True)
        .order_by("-expires_on")
        .first()
    )
    contacts = [
        {
            "name": m.user.get_full_name(),
            "role": m.get_role_display(),
            "email": m.user.email,
            "provider": getattr(getattr(m, "trainer_profile", None), "provider", None),
        }
        for m in Membership.objects.active()
        .filter(cell_id=membership.cell_id, role__in=TRAINING_STAFF)
        .select_related("user", "trainer_profile__provider")
        .order_by("role", "user__last_name")
    ]
    return {"lapsed": lapsed, "contacts": contacts}


def refusal_response(request: HttpRequest) -> HttpResponse:
    """The page an uncertified member or reporter sees instead of the intake form (403, audited)."""
    record_denial(request, action="referral.submit.not_certified")
    membership = getattr(request, "membership", None)
    return render(request, "training/gate_refused.html", {"gate": refusal_context(membership)}, status=403)


def explain_certification_gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """View decorator for the intake: an uncertified member or reporter gets the refusal page.

    Placed above the view's own permission check, it only replaces a bare 403 with an answer that
    says why and whom to contact; it never lets anyone through.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_stopped_by_certification_gate(getattr(request, "membership", None)):
            return refusal_response(request)
        return view(request, *args, **kwargs)

    return wrapped
