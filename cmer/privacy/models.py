from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from cmer.accounts.models import Membership

# Defaults of docs/rules.md §8, documented in docs/privacy.md.
DISMISSED_DAYS = 90
ARCHIVE_YEARS = 3
YOUNG_AGE_LIMIT = 25  # "followed as a minor or young adult": under 25 when the case opened
YOUNG_MAX_AGE = 25  # nothing kept on them beyond this age
ADULT_CAP_YEARS = 6  # older adults: nothing kept beyond this many years after the case opened
AUDIT_MONTHS = 12


# The durations a cell may shorten; the DPO validates them together.
POLICY_FIELDS = (
    "dismissed_days",
    "archive_years",
    "young_age_limit",
    "young_max_age",
    "adult_cap_years",
    "audit_months",
)


class RetentionPolicy(models.Model):
    """The retention rules of one cell. A change voids the DPO's validation until given again."""

    cell = models.OneToOneField("accounts.Cell", on_delete=models.CASCADE, related_name="retention_policy")
    dismissed_days = models.PositiveSmallIntegerField(
        _("signalements classés sans suite : conservation (jours)"),
        default=DISMISSED_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(DISMISSED_DAYS)],
    )
    archive_years = models.PositiveSmallIntegerField(
        _("situations clôturées : archivage avant destruction (années)"),
        default=ARCHIVE_YEARS,
        validators=[MinValueValidator(1), MaxValueValidator(ARCHIVE_YEARS)],
    )
    # Lowering it can only shorten: the young-person ceiling still covers everyone under
    # YOUNG_AGE_LIMIT, and the earliest date wins (cmer/privacy/retention.py, deletion_due).
    young_age_limit = models.PositiveSmallIntegerField(
        _("majeurs plus âgés : âge à l'ouverture à partir duquel la durée maximale s'applique"),
        help_text=format_lazy(
            _(
                "En dessous de {} ans, la limite d'âge des mineurs et jeunes majeurs s'applique "
                "aussi : la date la plus proche l'emporte."
            ),
            YOUNG_AGE_LIMIT,
        ),
        default=YOUNG_AGE_LIMIT,
        validators=[MinValueValidator(18), MaxValueValidator(YOUNG_AGE_LIMIT)],
    )
    young_max_age = models.PositiveSmallIntegerField(
        _("mineurs et jeunes majeurs : aucune donnée au-delà de l'âge de"),
        default=YOUNG_MAX_AGE,
        validators=[MinValueValidator(18), MaxValueValidator(YOUNG_MAX_AGE)],
    )
    adult_cap_years = models.PositiveSmallIntegerField(
        _("majeurs plus âgés : durée maximale après l'ouverture (années)"),
        default=ADULT_CAP_YEARS,
        validators=[MinValueValidator(1), MaxValueValidator(ADULT_CAP_YEARS)],
    )
    audit_months = models.PositiveSmallIntegerField(
        _("journal d'audit : conservation (mois)"),
        default=AUDIT_MONTHS,
        validators=[MinValueValidator(1), MaxValueValidator(AUDIT_MONTHS)],
    )
    updated_at = models.DateTimeField(auto_now=True)
    validated_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(_("validée par le DPO le"), null=True, blank=True)
    # The durations as the DPO last validated them, and when: the purge applies these, never a
    # change still waiting for validation (docs/privacy.md, "Policy in force").
    validated_values = models.JSONField(default=dict, blank=True, editable=False)
    last_validated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("politique de conservation")

    def __str__(self) -> str:
        return f"Retention {self.cell_id}"

    @property
    def is_validated(self) -> bool:
        return self.validated_at is not None


class PurgeStatus(models.TextChoices):
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminée")
    FAILED = "failed", _("interrompue")


class PurgeTrigger(models.TextChoices):
    COMMAND = "command", _("commande d'administration")
    TASK = "task", _("tâche quotidienne")
    WEB = "web", _("coordonnateur")
    RIGHTS = "rights", _("effacement sur demande de la personne")


class PurgeReportQuerySet(models.QuerySet["PurgeReport"]):
    def visible_to(self, membership: Membership | None) -> PurgeReportQuerySet:
        """Purge reports are for the cell's DPO only."""
        from cmer.privacy.permissions import can_use_dpo_console

        if membership is None or not can_use_dpo_console(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)


class PurgeReport(models.Model):
    """One run of the purge for one cell: counts per kind only, never names or references."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.CASCADE, related_name="purge_reports")
    as_of = models.DateField(_("date de référence"))
    dry_run = models.BooleanField(_("simulation"))
    trigger = models.CharField(_("déclenchement"), max_length=16, choices=PurgeTrigger.choices)
    started_at = models.DateTimeField(_("début"))
    finished_at = models.DateTimeField(_("fin"), null=True, blank=True)
    status = models.CharField(max_length=8, choices=PurgeStatus.choices, default=PurgeStatus.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    # This run visited every case of the cell, not only the candidates (cmer/privacy/purge.py).
    full_sweep = models.BooleanField(_("contrôle de toutes les situations"), default=False)

    objects = PurgeReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("rapport de purge")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Purge {self.cell_id} {self.as_of}"


class MinutesEntry(models.Model):
    """What the minutes keep of an agenda item whose case was destroyed: a pseudonymous reference.

    The agenda item, its decision and the case are gone; the meeting keeps which reference was
    examined and which closed-list decision was taken, and nothing that leads back to a person.
    """

    meeting = models.ForeignKey("meetings.Meeting", on_delete=models.CASCADE, related_name="purged_entries")
    case_reference = models.CharField(max_length=20)
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=16)
    decision_kind = models.CharField(max_length=20, blank=True)
    purged_on = models.DateField()

    class Meta:
        ordering = ["meeting", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.case_reference}"


class RightsKind(models.TextChoices):
    ACCESS = "access", _("droit d'accès (art. 15)")
    RECTIFICATION = "rectification", _("droit de rectification (art. 16)")
    ERASURE = "erasure", _("droit à l'effacement (art. 17)")
    RESTRICTION = "restriction", _("droit à la limitation (art. 18)")
    OBJECTION = "objection", _("droit d'opposition (art. 21)")


class RightsStatus(models.TextChoices):
    OPEN = "open", _("reçue")
    IN_PROGRESS = "in_progress", _("en cours d'instruction")
    CLOSED = "closed", _("close")


class RightsOutcome(models.TextChoices):
    GRANTED = "granted", _("satisfaite")
    PARTIALLY_GRANTED = "partially_granted", _("partiellement satisfaite")
    REFUSED = "refused", _("refusée (motif légal notifié)")
    NO_DATA = "no_data", _("aucune donnée traitée")
    IDENTITY_UNVERIFIED = "identity_unverified", _("identité non établie")
    REDIRECTED = "redirected", _("réorientée vers le responsable compétent")


class RightsRequestQuerySet(models.QuerySet["RightsRequest"]):
    def visible_to(self, membership: Membership | None) -> RightsRequestQuerySet:
        """Rights requests are handled by the cell's DPO only."""
        from cmer.privacy.permissions import can_use_dpo_console

        if membership is None or not can_use_dpo_console(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)


class RightsRequest(models.Model):
    """A data subject's request (GDPR art. 15–21). Identity stays in the paper file, not here."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="rights_requests")
    reference = models.CharField(
        _("référence du courrier"),
        max_length=30,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9/_.\-]*$", _("Lettres, chiffres, / . _ - seulement."))
        ],
        help_text=_("Numéro d'enregistrement du courrier, sans nom ni donnée personnelle."),
    )
    kind = models.CharField(_("droit exercé"), max_length=16, choices=RightsKind.choices)
    received_on = models.DateField(_("reçue le"))
    deadline = models.DateField(_("échéance légale"))
    status = models.CharField(
        _("état"), max_length=12, choices=RightsStatus.choices, default=RightsStatus.OPEN
    )
    outcome = models.CharField(_("suite donnée"), max_length=20, choices=RightsOutcome.choices, blank=True)
    closed_on = models.DateField(_("close le"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RightsRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande d'exercice de droits")
        ordering = ["status", "deadline", "pk"]
        indexes = [models.Index(fields=["status", "deadline"], name="rights_status_deadline_idx")]

    def __str__(self) -> str:
        return f"Demande #{self.pk}"
