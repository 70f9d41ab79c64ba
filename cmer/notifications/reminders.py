"""Daily reminders that no user action triggers, run by `manage.py notify_reminders` (or the
`send_daily_reminders` task).

Each app registers its own reminders in its `notifications.py` (actions falling due in cases,
overdue State feedback in exchange…). The charter reminder lives here because the charter
belongs to accounts, which sits below this app. Each reminder is idempotent: it finds what it
already sent by the notification's target, so a person is reminded once per charter version.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.notifications import kinds
from cmer.notifications.models import Notification
from cmer.notifications.services import notify

CHARTER_TO_ACCEPT = kinds.register(
    "charter_to_accept",
    label=_("Charte à accepter"),
    email_line=_("Une charte de confidentialité attend votre acceptation."),
    link=lambda _target_id: reverse("accounts:charter"),
    target_type="accounts.charter",
)


def charter_to_accept_notify(*, today: date | None = None) -> int:
    """Remind each active member once per charter version they have not accepted yet."""
    today = today or timezone.localdate()
    created = 0
    for membership in Membership.objects.active(today).select_related("cell", "user"):
        charter = membership.cell.current_charter()
        if charter is None or membership.charter_acceptances.filter(charter=charter).exists():
            continue
        if (
            Notification.objects.about_object(charter)
            .filter(recipient=membership.user, kind=CHARTER_TO_ACCEPT)
            .exists()
        ):
            continue
        with transaction.atomic():
            created += len(
                notify(
                    recipients=[membership.user],
                    kind=CHARTER_TO_ACCEPT,
                    cell=membership.cell,
                    target=charter,
                )
            )
    return created


def run_daily_reminders() -> dict[str, int]:
    """Every registered reminder once, in registration order; running it twice adds nothing."""
    return kinds.run_reminders()


kinds.register_reminder("charter_to_accept", charter_to_accept_notify)
