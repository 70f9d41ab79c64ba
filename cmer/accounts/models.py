from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from cmer.accounts.roles import Role


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


# ProConnectIdentity extends an untyped django-otp model: the plugin cannot see its reverse manager.
class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    """An individual, named account (no shared accounts). Staff are the platform admins."""

    email = models.EmailField(_("adresse électronique"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("administrateur de la plateforme"), default=False)
    date_joined = models.DateTimeField(_("créé le"), default=timezone.now)
    email_notifications = models.BooleanField(_("notifications par courriel"), default=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("compte")
        verbose_name_plural = _("comptes")

    def __str__(self) -> str:
        return self.get_full_name()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name


class Cell(models.Model):
    """A CMER: one commune's cell, strictly isolated from the others of the installation."""

    name = models.CharField(_("commune"), max_length=120)
    insee_code = models.CharField(
        _("code INSEE"),
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^(\d{5}|2[AB]\d{3})$", _("Code INSEE à 5 caractères."))],
    )
    code = models.CharField(
        _("préfixe des références"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{3}$", _("Trois lettres majuscules."))],
        help_text=_("Utilisé dans les références pseudonymes, par exemple MIR-2026-0042."),
    )
    department = models.CharField(_("département"), max_length=3)
    prefecture = models.CharField(_("préfecture"), max_length=120)
    operator = models.CharField(_("opérateur"), max_length=120, help_text=_("Responsable de traitement."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Working rules of the cell (docs/rules.md §3, §5), set by the platform admin.
    meeting_cadence_weeks = models.PositiveSmallIntegerField(
        _("périodicité des réunions (semaines)"), default=6
    )
    prequalification_days = models.PositiveSmallIntegerField(
        _("délai de pré-qualification (jours)"), default=15
    )
    watch_max_renewals = models.PositiveSmallIntegerField(_("renouvellements de veille au plus"), default=2)

    class Meta:
        verbose_name = _("cellule")
        verbose_name_plural = _("cellules")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"CMER {self.name}"

    def current_charter(self) -> Charter | None:
        return self.charters.filter(effective_date__lte=timezone.localdate()).order_by("-version").first()


class Protocol(models.Model):
    """The protocol signed by the préfet and the maire that creates the cell."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="protocols")
    signed_on = models.DateField(_("signé le"))
    prefet_signatory = models.CharField(_("signataire pour le préfet"), max_length=150)
    maire_signatory = models.CharField(_("signataire pour le maire"), max_length=150)
    procureur_signatory = models.CharField(_("signataire pour le procureur"), max_length=150, blank=True)
    scope = models.TextField(_("périmètre"), max_length=2000)
    document_reference = models.CharField(_("référence du document signé"), max_length=120)

    class Meta:
        verbose_name = _("protocole")
        verbose_name_plural = _("protocoles")
        ordering = ["-signed_on"]

    def __str__(self) -> str:
        return f"{self.document_reference} ({self.signed_on})"


class Charter(models.Model):
    """A version of the cell's confidentiality charter; a new version asks everyone again."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="charters")
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("texte"), max_length=20000)
    effective_date = models.DateField(_("en vigueur le"))

    class Meta:
        verbose_name = _("charte de confidentialité")
        verbose_name_plural = _("chartes de confidentialité")
        constraints = [models.UniqueConstraint(fields=["cell", "version"], name="charter_unique_version")]
        ordering = ["cell", "-version"]

    def __str__(self) -> str:
        return f"{self.cell} — v{self.version}"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, on: Any = None) -> MembershipQuerySet:
        today = on or timezone.localdate()
        return self.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=today),
            start_date__lte=today,
            user__is_active=True,
            cell__is_active=True,
        )

    def current_for(self, user: User, membership_id: Any) -> Membership | None:
        """The user's active membership named by the session, or their only one."""
        memberships = self.active().filter(user=user).select_related("cell", "user")
        if membership_id is not None:
            try:
                return memberships.get(pk=int(membership_id))
            except (Membership.DoesNotExist, TypeError, ValueError):
                return None
        only = list(memberships[:2])
        return only[0] if len(only) == 1 else None

    def visible_to(self, membership: Membership) -> MembershipQuerySet:
        """Members of the current cell, for those who manage memberships; nothing otherwise."""
        from cmer.accounts.permissions import can_manage_memberships

        if not can_manage_memberships(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)


class Membership(models.Model):
    """A person's role in one cell, from start to end. Ending it ends access at once."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    service = models.CharField(
        _("service ou organisation"),
        max_length=120,
        blank=True,
        help_text=_("Par exemple : CCAS, police municipale, préfecture."),
    )
    start_date = models.DateField(_("début"), default=timezone.localdate)
    end_date = models.DateField(_("fin"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membre")
        verbose_name_plural = _("membres")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "cell"],
                condition=Q(end_date__isnull=True),
                name="membership_one_open_per_cell",
            )
        ]
        ordering = ["cell", "role", "user__last_name"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.cell}"

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date > today)

    def has_accepted_current_charter(self) -> bool:
        # One query (checked on every request by the middleware): the acceptance of the charter
        # version currently in force, if any. No charter in force means nothing is accepted.
        current = (
            Charter.objects.filter(cell_id=self.cell_id, effective_date__lte=timezone.localdate())
            .order_by("-version")
            .values("pk")[:1]
        )
        return self.charter_acceptances.filter(charter_id=models.Subquery(current)).exists()


class CharterAcceptance(models.Model):
    """Kept for the DPO: who accepted which text version, when."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="charter_acceptances")
    charter = models.ForeignKey(Charter, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("acceptation de la charte")
        verbose_name_plural = _("acceptations de la charte")
        constraints = [
            models.UniqueConstraint(fields=["membership", "charter"], name="charter_accepted_once")
        ]

    def __str__(self) -> str:
        return f"{self.membership} — v{self.charter.version}"


class ProConnectIdentity(Device):
    """A ProConnect identity (issuer + `sub`) linked to one CMER account.

    Linked by e-mail at the first ProConnect login of an account that already exists (invited),
    then found by issuer + sub only: a later change of e-mail at the identity provider can never
    move the identity to another account. It is also a django-otp device: a ProConnect login at a
    multi-factor acr marks the session as second-factor verified through it (it accepts no code).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proconnect_identities")
    issuer = models.CharField(max_length=255)
    sub = models.CharField(max_length=255)

    class Meta:
        verbose_name = _("identité ProConnect")
        verbose_name_plural = _("identités ProConnect")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "sub"], name="proconnect_identity_unique_sub"),
            # One identity per account and issuer: a second `sub` claiming the same account by
            # e-mail is a collision, refused.
            models.UniqueConstraint(fields=["issuer", "user"], name="proconnect_identity_unique_user"),
        ]

    def verify_token(self, token: Any) -> bool:
        return False
