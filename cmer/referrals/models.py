from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.accounts.roles import MANAGERS, NEEDS_CERTIFICATION, has_role
from cmer.core.fields import EncryptedTextField, new_row_key

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


class Source(models.TextChoices):
    TRAINED_AGENT = "trained_agent", _("agent municipal formé")
    MUNICIPAL_SERVICE = "municipal_service", _("service municipal")
    SCHOOL = "school", _("établissement scolaire")
    LANDLORD = "landlord", _("bailleur")
    FAMILY = "family", _("famille")
    MUNICIPAL_POLICE = "municipal_police", _("police municipale")
    STATE = "state", _("services de l'État")
    ASSOCIATION = "association", _("association ou partenaire")


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, membership: Membership | None) -> ReferralQuerySet:
        """P/C: all referrals of the cell; a reporter (or member) only their own submissions."""
        if membership is None:
            return self.none()
        in_cell = self.filter(cell_id=membership.cell_id)
        if has_role(membership, MANAGERS):
            return in_cell
        # Members and reporters submit signalements; they see only their own.
        if has_role(membership, NEEDS_CERTIFICATION):
            return in_cell.filter(submitted_by=membership)
        return self.none()


class Referral(models.Model):
    """A signalement: dated observed facts about a person, from a closed-list source."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="referrals")
    reference = models.CharField(_("référence d'accusé de réception"), max_length=24, unique=True)
    submitted_by = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="referrals"
    )
    source = models.CharField(_("origine"), max_length=20, choices=Source.choices)
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    description = EncryptedTextField(_("description factuelle"), max_length=1000)
    # Names the row in the associated data of its ciphertexts (docs/decisions/0007-ciphertext-bound-to-row-and-cell.md).
    row_key = models.UUIDField(default=new_row_key, unique=True, editable=False)
    urgent = models.BooleanField(_("danger imminent"), default=False)
    person = models.ForeignKey("cases.Person", on_delete=models.PROTECT, related_name="referrals")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="referrals")
    catalogue_version = models.ForeignKey(
        "training.CatalogueVersion", on_delete=models.PROTECT, related_name="+"
    )
    # One-time key carried by the form: a second POST of the same form finds the first referral
    # instead of creating another (unique, so it also holds for two requests racing).
    submission_key = models.CharField(max_length=48, unique=True, null=True, blank=True, editable=False)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        verbose_name = _("signalement")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.reference


class ObservationMode(models.TextChoices):
    DIRECT = "direct", _("constaté directement")
    REPORTED = "reported", _("rapporté par un tiers")


class Observation(models.Model):
    """One observed fact, tied to one indicator of the catalogue version in force at the time."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="observations")
    indicator = models.ForeignKey("training.Indicator", on_delete=models.PROTECT, related_name="observations")
    observed_on = models.DateField(_("date des faits"))
    mode = models.CharField(_("mode"), max_length=8, choices=ObservationMode.choices)
    fact = EncryptedTextField(_("fait observé (une phrase)"), max_length=300)
    # Names the row in the associated data of its ciphertexts (docs/decisions/0007-ciphertext-bound-to-row-and-cell.md).
    row_key = models.UUIDField(default=new_row_key, unique=True, editable=False)

    ENCRYPTION_CELL = "referral.cell_id"

    class Meta:
        ordering = ["observed_on", "pk"]

    def __str__(self) -> str:
        return f"Observation #{self.pk}"
