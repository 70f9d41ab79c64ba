from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.urls import reverse

from cmer.notifications import kinds


def target_of(obj: models.Model) -> tuple[str, int]:
    """The generic reference to an object: its model label and primary key."""
    return obj._meta.label_lower, int(obj.pk)


class NotificationQuerySet(models.QuerySet["Notification"]):
    def visible_to(self, user: Any, cell: Any = None) -> NotificationQuerySet:
        """A user's own notices: those of the current cell and those of no cell, never another's."""
        if user is None or not getattr(user, "is_authenticated", False):
            return self.none()
        scope = Q(cell__isnull=True)
        if cell is not None:
            scope |= Q(cell=cell)
        return self.filter(scope, recipient_id=user.pk)

    def about(self, target_type: str, ids: Any) -> NotificationQuerySet:
        """Notices whose target is one of `ids` (a list or a values("pk") queryset) of that model."""
        return self.filter(target_type=target_type, target_id__in=ids)

    def about_object(self, obj: models.Model) -> NotificationQuerySet:
        target_type, target_id = target_of(obj)
        return self.filter(target_type=target_type, target_id=target_id)


class Notification(models.Model):
    """An in-app notice. It says only that something needs attention, and about which object
    (model label and id): no personal data. The link is computed from the kind and the target."""

    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notifications")
    cell = models.ForeignKey("accounts.Cell", null=True, on_delete=models.CASCADE, related_name="+")
    # A kind registered by the app that owns it (cmer/notifications/kinds.py): no central list.
    kind = models.CharField(max_length=32)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # E-mail delivery state (cmer/notifications/tasks.py): decided once, when the notice is created,
    # from the recipient's preference; a claim is a lease so a dead worker's e-mail is taken over.
    email_due = models.BooleanField(default=False)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        # The table created when the model lived in `core`: moving the model moved no data.
        db_table = "core_notification"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_idx"),
            models.Index(fields=["target_type", "target_id"], name="notif_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def kind_label(self) -> str:
        kind = kinds.get(self.kind)
        return str(kind.label) if kind else self.kind

    @property
    def link(self) -> str:
        """Where opening the notice leads: a page of this site computed from the target, else the inbox."""
        kind = kinds.get(self.kind)
        mismatch = kind is not None and self.target_type and self.target_type != kind.target_type
        path = None
        if kind is not None and not mismatch:
            # Without a target, kinds with a fixed page (the register, one's training) still link.
            path = kind.link(self.target_id if self.target_type else None)
        return path or reverse("notifications:inbox")
