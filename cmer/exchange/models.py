"""Exchange with the State (docs/rules.md §6): transmissions, the State's feedback, information from
the préfet and threat briefings. Closed lists everywhere: no free text about a person."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.exchange import permissions as perms

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


class Recipient(models.TextChoices):
    PREFECTURE_GED = "prefecture_ged", _("Préfecture / groupe d'évaluation départemental (GED)")
    CPRAF = "cpraf", _("Cellule de prévention de la radicalisation et d'accompagnement des familles (CPRAF)")
    CNAPR = "cnapr", _("Centre national d'assistance et de prévention de la radicalisation (CNAPR)")
    PROCUREUR = "procureur", _("Procureur de la République")
    OTHER_STATE = "other_state", _("Autre service de l'État")


class LegalBasis(models.TextChoices):
    PROTOCOL = "protocol", _("Protocole de la cellule signé par le préfet et le maire")
    CSI_L132_3 = "csi_l132_3", _("Article L. 132-3 du code de la sécurité intérieure")
    CPP_40 = "cpp_40", _("Article 40 du code de procédure pénale")
    CASF_L226_2_1 = "casf_l226_2_1", _("Article L. 226-2-1 du code de l'action sociale et des familles")


class Purpose(models.TextChoices):
    EVALUATION = "evaluation", _("Évaluation de la situation par l'État")
    PREVENTION = "prevention", _("Prise en charge de prévention (accompagnement)")
    IMMINENT_DANGER = "imminent_danger", _("Danger imminent")
    JUDICIAL = "judicial", _("Appréciation des suites judiciaires")
    INFORMATION = "information", _("Information de l'autorité compétente")


class Channel(models.TextChoices):
    PLATFORM = "platform", _("Par la plateforme, après approbation du président")
    SECURE_MAIL = "secure_mail", _("Déjà envoyée par messagerie sécurisée de l'État")
    LETTER = "letter", _("Déjà envoyée par courrier officiel")
    IN_MEETING = "in_meeting", _("Déjà remise en réunion au représentant de l'État")


class TransmissionStatus(models.TextChoices):
    DRAFT = "draft", _("à approuver")
    SENT = "sent", _("envoyée")
    ACKNOWLEDGED = "acknowledged", _("reçue par le destinataire")


class TransmissionQuerySet(models.QuerySet["Transmission"]):
    def visible_to(self, membership: Membership | None) -> TransmissionQuerySet:
        """P/C: every transmission of the cell; S: the sent ones (to record feedback); others none."""
        if membership is None:
            return self.none()
        in_cell = self.filter(cell_id=membership.cell_id)
        if perms.sees_draft_transmissions(membership):
            return in_cell
        if perms.can_view_register(membership):
            return in_cell.exclude(status=TransmissionStatus.DRAFT)
        return self.none()

    def awaiting_feedback(self) -> TransmissionQuerySet:
        """Sent (acknowledged or not) and still without the State's feedback."""
        return self.filter(
            status__in=[TransmissionStatus.SENT, TransmissionStatus.ACKNOWLEDGED], feedback__isnull=True
        )

    def feedback_overdue(self, now: datetime | None = None) -> TransmissionQuerySet:
        """Sent more than CMER_FEEDBACK_DELAY_DAYS ago and still without the State's feedback."""
        return self.awaiting_feedback().filter(overdue_since(now))


def overdue_since(now: datetime | None = None) -> Q:
    """Of those awaiting feedback, the ones whose feedback is overdue."""
    return Q(approved_at__lt=(now or timezone.now()) - timedelta(days=settings.CMER_FEEDBACK_DELAY_DAYS))


class Transmission(models.Model):
    """Facts of one case sent to the State. It counts as sent only once a second person approves."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="transmissions")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="transmissions")
    reference = models.CharField(_("référence"), max_length=24, unique=True)
    recipient = models.CharField(_("destinataire"), max_length=20, choices=Recipient.choices)
    recipient_detail = models.CharField(
        _("service de l'État destinataire"),
        max_length=120,
        blank=True,
        help_text=_(
            "Uniquement pour « autre service de l'État » : le nom du service, jamais d'une personne."
        ),
    )
    legal_basis = models.CharField(_("base légale"), max_length=20, choices=LegalBasis.choices)
    purpose = models.CharField(_("finalité"), max_length=20, choices=Purpose.choices)
    channel = models.CharField(_("canal"), max_length=20, choices=Channel.choices, default=Channel.PLATFORM)
    observations = models.ManyToManyField(
        "referrals.Observation", related_name="transmissions", verbose_name=_("faits transmis")
    )
    status = models.CharField(
        _("état"), max_length=16, choices=TransmissionStatus.choices, default=TransmissionStatus.DRAFT
    )
    prepared_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(_("préparée le"), default=timezone.now)
    approved_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approuvée et envoyée le"), null=True, blank=True)
    acknowledged_on = models.DateField(_("accusé de réception le"), null=True, blank=True)
    # Set once the overdue-feedback notice went out: the reminder job is idempotent through it.
    feedback_overdue_notified_at = models.DateTimeField(null=True, blank=True)

    objects = TransmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("transmission")
        ordering = ["-prepared_at", "-pk"]
        constraints = [
            # Two-person rule, enforced by the database too: the preparer never approves.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="transmission_second_approver",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", approved_at__isnull=True)
                | (~Q(status="draft") & Q(approved_at__isnull=False, approved_by__isnull=False)),
                name="transmission_sent_means_approved",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_sent(self) -> bool:
        return self.status in (TransmissionStatus.SENT, TransmissionStatus.ACKNOWLEDGED)

    @property
    def feedback_due_on(self) -> date | None:
        if self.approved_at is None:
            return None
        return timezone.localdate(self.approved_at) + timedelta(days=settings.CMER_FEEDBACK_DELAY_DAYS)


class FeedbackOutcome(models.TextChoices):
    TAKEN_INTO_ACCOUNT = "taken_into_account", _("Prise en compte")
    NO_FURTHER_ACTION = "no_further_action", _("Sans suite")
    OTHER_FRAMEWORK = "other_framework", _("Relève d'un autre cadre")


class StateFeedback(models.Model):
    """The State's systematic feedback (retour) on one sent transmission: a closed-list value, a date."""

    transmission = models.OneToOneField(Transmission, on_delete=models.CASCADE, related_name="feedback")
    outcome = models.CharField(_("retour"), max_length=20, choices=FeedbackOutcome.choices)
    received_on = models.DateField(_("date du retour"))
    recorded_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("retour de l'État")

    def __str__(self) -> str:
        return f"{self.transmission_id}: {self.outcome}"


class PrefectSituation(models.TextChoices):
    OWN_REFERRAL = "own_referral", _("Retour sur un signalement de la commune")
    MUNICIPAL_AGENT = "municipal_agent", _("Agent municipal ou candidat à un emploi municipal")
    SUPPORTED_PERSON = "supported_person", _("Personne accompagnée par la commune")
    SUBSIDY = "subsidy", _("Demande ou versement de subvention")
    SHOP = "shop", _("Commerce")
    PREMISES = "premises", _("Mise à disposition de locaux")


class PrefectInformationQuerySet(models.QuerySet["PrefectInformation"]):
    def visible_to(self, membership: Membership | None) -> PrefectInformationQuerySet:
        """Only the president and the coordinator of the cell; a State member their own entries."""
        if membership is None:
            return self.none()
        in_cell = self.filter(cell_id=membership.cell_id)
        if perms.sees_whole_prefect_compartment(membership):
            return in_cell
        if perms.can_view_prefect_information(membership):
            return in_cell.filter(recorded_by=membership)
        return self.none()


class PrefectInformation(models.Model):
    """What the préfet told the maire (instruction of 13 November 2018): the fact it was said, no content.

    A compartment: never re-shared, exported, transmitted or counted in statistics.
    """

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="+")
    situation = models.CharField(_("situation"), max_length=20, choices=PrefectSituation.choices)
    received_on = models.DateField(_("date de l'information"))
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("situation suivie concernée"),
    )
    recorded_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = PrefectInformationQuerySet.as_manager()

    class Meta:
        verbose_name = _("information du préfet")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"Information #{self.pk}"


class ThreatBriefingQuerySet(models.QuerySet["ThreatBriefing"]):
    def visible_to(self, membership: Membership | None) -> ThreatBriefingQuerySet:
        """The briefings of the cell, for those who schedule and log them; nobody else."""
        if membership is None or not perms.can_manage_briefings(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)


class ThreatBriefing(models.Model):
    """A threat briefing of the maire by the State: scheduled, then logged as held or not. No content."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="+")
    scheduled_on = models.DateField(_("date prévue"))
    held = models.BooleanField(_("tenue"), null=True)
    scheduled_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    logged_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField(null=True, blank=True)

    objects = ThreatBriefingQuerySet.as_manager()

    class Meta:
        verbose_name = _("point de situation sur la menace")
        ordering = ["-scheduled_on", "-pk"]

    def __str__(self) -> str:
        return f"Point #{self.pk} ({self.scheduled_on})"
