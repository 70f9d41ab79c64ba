"""Authentication events from Django and django-axes, written to the audit trail.

These are framework signals (the login machinery is not ours), the one place where a receiver
is the natural hook. No username is stored: a failure for an unknown account has no actor.
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cmer.audit.models import Outcome
from cmer.audit.services import record


def _known_user_id(username: str | None) -> int | None:
    if not username:
        return None
    User = get_user_model()
    return User.objects.filter(email__iexact=username).values_list("pk", flat=True).first()


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.login_password", actor=user, target=user)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(action="auth.logout", actor=user, target=user)


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    user_id = _known_user_id(credentials.get("username"))
    record(
        action="auth.login_failed",
        actor=user_id,
        target_type="accounts.user" if user_id else "",
        target_id=user_id or "",
        outcome=Outcome.FAILED,
    )


@receiver(user_locked_out)
def on_locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    user_id = _known_user_id(username)
    record(
        action="auth.locked_out",
        actor=user_id,
        target_type="accounts.user" if user_id else "",
        target_id=user_id or "",
        outcome=Outcome.DENIED,
    )
