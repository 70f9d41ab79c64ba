from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    URGENT_REFERRAL = "urgent_referral", _("Signalement urgent")
    REFERRAL_TO_QUALIFY = "referral_to_qualify", _("Signalement à qualifier")
    KNOWN_PERSON = "known_person", _("Personne déjà connue de la cellule")
    TRANSMISSION_TO_APPROVE = "transmission_to_approve", _("Transmission à approuver")
    FEEDBACK_OVERDUE = "feedback_overdue", _("Retour de l'État en retard")
    MEETING_CONVENED = "meeting_convened", _("Convocation à une réunion")
    ACTION_DUE = "action_due", _("Action arrivant à échéance")
    CHARTER_TO_ACCEPT = "charter_to_accept", _("Charte à accepter")
    CERTIFICATION_EXPIRING = "certification_expiring", _("Habilitation bientôt expirée")
    RIGHTS_REQUEST_DUE = "rights_request_due", _("Demande d'exercice de droits à traiter")


class Notification(models.Model):
    """An in-app notice. It says only that something needs attention, with a link: no personal data."""

    recipient = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="notifications")
    cell = models.ForeignKey("accounts.Cell", null=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # E-mail delivery state (cmer/core/tasks.py): decided once, when the notice is created, from
    # the recipient's preference; a claim is a lease so a dead worker's e-mail is taken over.
    email_due = models.BooleanField(default=False)
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_recipient_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
