"""The certification gate: only a trained agent holding a valid certification may report.

Used by the intake (can_submit_referral) for members and reporters, docs/rules.md §2.
"""

from __future__ import annotations

from typing import Any

from cmer.training.models import Certification


def has_valid_certification(membership: Any) -> bool:
    """True when the membership's user holds a certification issued, not expired and not revoked."""
    if membership is None:
        return False
    return Certification.objects.valid().filter(user_id=membership.user_id).exists()


def valid_certification(membership: Any) -> Certification | None:
    """The user's certification that lasts the longest, for display ("valable jusqu'au …")."""
    if membership is None:
        return None
    return Certification.objects.valid().filter(user_id=membership.user_id).order_by("-expires_on").first()


def refusal_context(membership: Any) -> dict[str, Any]:
    """What the refusal page says: a lapsed certification if any, and whom to contact."""
    from cmer.accounts.models import Membership
    from cmer.accounts.roles import Role

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
        .filter(cell_id=membership.cell_id, role__in=[Role.TRAINER, Role.COORDINATOR])
        .select_related("user", "trainer_profile__provider")
        .order_by("role", "user__last_name")
    ]
    return {"lapsed": lapsed, "contacts": contacts}


def refusal_response(request: Any) -> Any:
    """The page an uncertified member or reporter sees instead of the intake form (403, audited)."""
    from django.shortcuts import render

    from cmer.audit.services import record_denial

    record_denial(request, action="referral.submit.not_certified")
    membership = getattr(request, "membership", None)
    return render(request, "training/gate_refused.html", {"gate": refusal_context(membership)}, status=403)


def explain_certification_gate(view: Any) -> Any:
    """View decorator for the intake: an uncertified member or reporter gets the refusal page.

    Placed above the view's own permission check, it only replaces a bare 403 with an answer that
    says why and whom to contact; it never lets anyone through.
    """
    from functools import wraps

    @wraps(view)
    def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
        from cmer.referrals.permissions import NEEDS_CERTIFICATION

        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and membership.role in NEEDS_CERTIFICATION
            and not has_valid_certification(membership)
        ):
            return refusal_response(request)
        return view(request, *args, **kwargs)

    return wrapped
