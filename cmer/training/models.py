"""The indicator catalogue (versioned data), training sessions, certifications, bias-guard counts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


class CatalogueStatus(models.TextChoices):
    DRAFT = "draft", _("brouillon")
    APPROVED = "approved", _("approuvée")
    SUPERSEDED = "superseded", _("remplacée")


class CatalogueVersionQuerySet(models.QuerySet["CatalogueVersion"]):
    def current(self) -> CatalogueVersion | None:
        return self.filter(status=CatalogueStatus.APPROVED).order_by("-number").first()

    def draft(self) -> CatalogueVersion | None:
        return self.filter(status=CatalogueStatus.DRAFT).first()


class CatalogueVersion(models.Model):
    """One version of the catalogue. Observations point to indicators of the version they used."""

    number = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(max_length=12, choices=CatalogueStatus.choices, default=CatalogueStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("copie de")
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = CatalogueVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("version du catalogue")
        ordering = ["-number"]
        constraints = [
            # One draft at a time (trainers share it) and one current version for every cell.
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="draft"), name="catalogue_one_draft"
            ),
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="approved"), name="catalogue_one_approved"
            ),
        ]

    def __str__(self) -> str:
        return f"Catalogue v{self.number} ({self.get_status_display()})"


class Domain(models.Model):
    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="domains")
    code = models.CharField(max_length=20)
    name = models.CharField(_("domaine"), max_length=120)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="domain_code_per_version")]

    def __str__(self) -> str:
        return self.name


class Signal(models.TextChoices):
    STRONG = "strong", _("signal fort")
    WEAK = "weak", _("signal faible")
    CONTEXT = "context", _("élément de contexte")


class Indicator(models.Model):
    """An observable behaviour. No weight, no score: observations are counted as facts only."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="indicators")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(max_length=20)
    label = models.CharField(_("intitulé"), max_length=200)
    signal = models.CharField(_("nature"), max_length=8, choices=Signal.choices)
    description = models.TextField(_("description"), max_length=1000)
    examples = models.TextField(_("exemples"), max_length=1000, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "domain__order", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="indicator_code_per_version")]

    def __str__(self) -> str:
        return self.label


class Caveat(models.Model):
    """Official caveats shown wherever indicators are chosen."""

    version = models.ForeignKey(CatalogueVersion, on_delete=models.CASCADE, related_name="caveats")
    text = models.CharField(_("mise en garde"), max_length=300)
    source = models.CharField(_("source"), max_length=120, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order"]

    def __str__(self) -> str:
        return self.text


# --- Training: providers, trainers, sessions, attendance, certifications -------------------------


class Provider(models.Model):
    """A training organisation (private firm mandated by the préfecture or the commune)."""

    name = models.CharField(_("organisme"), max_length=160, unique=True)
    contact_email = models.EmailField(_("adresse de contact"), blank=True)
    is_active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("organisme de formation")
        verbose_name_plural = _("organismes de formation")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Trainer(models.Model):
    """Links a trainer membership to the organisation it works for (set by the platform admin)."""

    membership = models.OneToOneField(
        "accounts.Membership", on_delete=models.PROTECT, related_name="trainer_profile"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="trainers")

    class Meta:
        verbose_name = _("formateur")
        verbose_name_plural = _("formateurs")

    def __str__(self) -> str:
        return f"{self.provider} — {self.membership_id}"


class TrainingSessionQuerySet(models.QuerySet["TrainingSession"]):
    def visible_to(self, membership: Membership | None) -> TrainingSessionQuerySet:
        """Trainers and the coordinator see the sessions whose audience includes their cell."""
        from cmer.training.permissions import can_view_sessions

        if membership is None or not can_view_sessions(membership):
            return self.none()
        return self.filter(audience=membership.cell_id).distinct()


class TrainingSession(models.Model):
    """One training session on the faisceau d'indicateurs, for agents of one or several cells."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(_("intitulé"), max_length=160)
    date = models.DateField(_("date"))
    place = models.CharField(_("lieu"), max_length=200)
    programme = models.TextField(_("programme"), max_length=2000)
    audience = models.ManyToManyField(
        "accounts.Cell", related_name="training_sessions", verbose_name=_("cellules")
    )
    catalogue_version = models.ForeignKey(
        CatalogueVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="sessions"
    )
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session de formation")
        verbose_name_plural = _("sessions de formation")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.date})"


class AttendanceQuerySet(models.QuerySet["Attendance"]):
    def visible_to(self, membership: Membership | None) -> AttendanceQuerySet:
        """Trainers and the coordinator see the attendances recorded through their own cell.

        A session may serve several cells: its attendees from the other cells stay hidden.
        """
        from cmer.training.permissions import can_view_sessions

        if membership is None or not can_view_sessions(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)


class Attendance(models.Model):
    """An attendee of a session, registered through their membership of one audience cell."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="training_attendances")
    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("présence")
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once_per_session")
        ]

    def __str__(self) -> str:
        return f"Présence #{self.pk}"


class CertificationQuerySet(models.QuerySet["Certification"]):
    def valid(self, on: date | None = None) -> CertificationQuerySet:
        """Issued, not yet expired, not revoked, on the given day (today by default)."""
        day = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, issued_on__lte=day, expires_on__gt=day)

    def of_active_members(self) -> CertificationQuerySet:
        """Those whose holder still has an active membership of the cell that issued them."""
        from cmer.accounts.models import Membership

        members = Membership.objects.active().filter(cell_id=OuterRef("cell_id"), user_id=OuterRef("user_id"))
        return self.filter(Exists(members))

    def visible_to(self, membership: Membership | None) -> CertificationQuerySet:
        """Trainers and the coordinator see the certifications issued through their cell.

        Never those issued through another cell, even to a member of theirs: its session would
        tell them that the person also belongs to that other cell.
        """
        from cmer.training.permissions import can_view_sessions

        if membership is None or not can_view_sessions(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)


class Certification(models.Model):
    """A person's habilitation to report, issued after a session, valid until it expires."""

    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="certifications")
    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(TrainingSession, on_delete=models.PROTECT, related_name="certifications")
    issued_on = models.DateField(_("délivrée le"))
    expires_on = models.DateField(_("expire le"))
    issued_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when the 30-day reminder was sent: the command then skips it (idempotent).
    expiry_notified_at = models.DateTimeField(null=True, blank=True)

    objects = CertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        ordering = ["expires_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("issued_on")),
                name="certification_expires_after_issue",
            ),
            models.UniqueConstraint(fields=["session", "user"], name="certification_once_per_session"),
        ]

    def __str__(self) -> str:
        return f"Habilitation #{self.pk}"


class QuizResult(models.Model):
    """The outcome of the self-study quiz: knowledge of the catalogue, never a rating of anyone else."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="quiz_results")
    catalogue_version = models.ForeignKey(CatalogueVersion, on_delete=models.PROTECT, related_name="+")
    correct = models.PositiveSmallIntegerField()
    questions = models.PositiveSmallIntegerField()
    passed = models.BooleanField()
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"Quiz #{self.pk}"


class TrainingPolicy(models.Model):
    """Installation-wide training settings (one row, edited by the platform admin)."""

    quiz_required = models.BooleanField(
        _("quiz réussi exigé pour l'habilitation"),
        default=False,
        help_text=_(
            "Si coché, une habilitation ne peut être délivrée qu'à une personne ayant réussi le quiz."
        ),
    )
    quiz_pass_mark = models.PositiveSmallIntegerField(_("bonnes réponses exigées"), default=4)
    validity_years = models.PositiveSmallIntegerField(_("durée de validité (années)"), default=2)

    class Meta:
        verbose_name = _("paramètres de formation")
        verbose_name_plural = _("paramètres de formation")

    def __str__(self) -> str:
        return "Paramètres de formation"

    @classmethod
    def current(cls) -> TrainingPolicy:
        # Not saved: defaults apply until the admin creates the row.
        return cls.objects.order_by("pk").first() or cls()


class BiasWarningCount(models.Model):
    """How often the bias guard warned, per code and month. Never the text, never the writer."""

    code = models.CharField(max_length=24)
    month = models.DateField()
    shown = models.PositiveIntegerField(default=0)
    confirmed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-month", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "month"], name="bias_count_per_code_month")]

    def __str__(self) -> str:
        return f"{self.code} {self.month:%Y-%m}"


class BiasOverrideQuerySet(models.QuerySet["BiasOverride"]):
    def visible_to(self, membership: Membership | None) -> BiasOverrideQuerySet:
        """The coordinator reviews the overrides of their own cell; nobody else sees them."""
        from cmer.training.permissions import can_review_bias_overrides

        if not can_review_bias_overrides(membership):
            return self.none()
        assert membership is not None
        return self.filter(cell_id=membership.cell_id)


class BiasOverride(models.Model):
    """A text kept although the bias guard warned: its writer ticked « je confirme ».

    Stored with the record it belongs to (model label and id, the field) and the warning codes,
    never the text nor the writer, for the coordinator to re-read the record; the monthly counts
    (BiasWarningCount) stay the trainers' view.
    """

    cell = models.ForeignKey("accounts.Cell", on_delete=models.CASCADE, related_name="+")
    target_type = models.CharField(max_length=64)  # "cases.case", "referrals.referral"…
    target_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=64)
    codes = models.CharField(max_length=200)  # lexicon categories, comma-separated
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    objects = BiasOverrideQuerySet.as_manager()

    class Meta:
        ordering = ["reviewed_at", "-created_at"]
        indexes = [models.Index(fields=["cell", "reviewed_at"], name="bias_override_cell_idx")]

    def __str__(self) -> str:
        return f"{self.target_type} #{self.target_id} {self.field}"

    @property
    def code_list(self) -> list[str]:
        return [code for code in self.codes.split(",") if code]
