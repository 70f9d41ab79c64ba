from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from binascii import unhexlify
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from cmer.accounts.roles import Role
from cmer.core.fields import EncryptedTextField, new_row_key


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
    # Bumped to end every session of the account at once (a second factor reset by the managers):
    # it is part of the session hash Django checks on each request (docs/security.md #12).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

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

    def _session_hash(self, secret: str | bytes | None) -> str:
        if self.session_generation == 0:
            # Generation 0 keeps Django's own hash: no one is signed out by this field's arrival.
            return salted_hmac(_SESSION_SALT, self.password, secret=secret, algorithm="sha256").hexdigest()
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(_SESSION_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._session_hash(None)

    def get_session_auth_fallback_hash(self) -> Any:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(fallback_secret)


_SESSION_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


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

    @property
    def text_sha256(self) -> str:
        """The fingerprint of the exact text, kept with each acceptance (docs/rules.md, charters)."""
        return charter_text_sha256(self.text)


def charter_text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def charter_in_force(cell: Any) -> models.QuerySet[Charter, Any]:
    """The pk of a cell's charter in force (its latest version already effective), as a subquery;
    `cell` is a cell id or an OuterRef to one."""
    return (
        Charter.objects.filter(cell_id=cell, effective_date__lte=timezone.localdate())
        .order_by("-version")
        .values("pk")[:1]
    )


def accepted_charter_in_force() -> models.Exists:
    """For a query over memberships: has each accepted its own cell's charter in force, as the
    charter gate asks (Membership.has_accepted_current_charter), in the same query for all."""
    return models.Exists(
        CharterAcceptance.objects.filter(
            membership_id=models.OuterRef("pk"),
            charter_id=models.Subquery(charter_in_force(models.OuterRef(models.OuterRef("cell_id")))),
        )
    )


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, on: Any = None) -> MembershipQuerySet:
        today = on or timezone.localdate()
        return self.filter(
            Q(end_date__isnull=True) | Q(end_date__gt=today),
            start_date__lte=today,
            user__is_active=True,
            cell__is_active=True,
            # Made or changed by the platform admin: no access until the president approves.
            approval_pending=False,
        )

    def charter_accepted(self) -> MembershipQuerySet:
        """Only those that accepted their cell's charter in force: nobody sees anything of a cell
        before (docs/rules.md §2), so whatever adds up several memberships of one account keeps
        only these."""
        return self.filter(accepted_charter_in_force())

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
    # A membership that opens personal data, created or changed by the platform admin, gives no
    # access until the cell's president approves it (docs/rules.md, "The platform admin").
    approval_pending = models.BooleanField(_("en attente de validation"), default=False)
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)

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
        return (
            not self.approval_pending
            and self.start_date <= today
            and (self.end_date is None or self.end_date > today)
        )

    def has_accepted_current_charter(self) -> bool:
        # One query (checked on every request by the middleware): the acceptance of the charter
        # version currently in force, if any. No charter in force means nothing is accepted.
        return self.charter_acceptances.filter(
            charter_id=models.Subquery(charter_in_force(self.cell_id))
        ).exists()


class CharterAcceptance(models.Model):
    """Kept for the DPO: who accepted which text version, when."""

    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="charter_acceptances")
    charter = models.ForeignKey(Charter, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField(default=timezone.now)
    # SHA-256 of the exact text the person accepted: an accepted version never changes, and this
    # shows it (a new text is a new version, asked again).
    text_sha256 = models.CharField(_("empreinte SHA-256 du texte accepté"), max_length=64, default="")

    class Meta:
        verbose_name = _("acceptation de la charte")
        verbose_name_plural = _("acceptations de la charte")
        constraints = [
            models.UniqueConstraint(fields=["membership", "charter"], name="charter_accepted_once")
        ]

    def __str__(self) -> str:
        return f"{self.membership} — v{self.charter.version}"


# --- second factors ------------------------------------------------------------------------------
# Our own django-otp devices (docs/security.md, "Second factors at rest"): the TOTP secret is
# encrypted with the field encryption of cmer/core/crypto.py, backup codes are kept as keyed
# hashes only. django-otp's own TOTP and static plugins stored both in clear.


def new_totp_key() -> str:
    return secrets.token_hex(20)


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (RFC 6238, SHA-1, 6 digits, 30 s), its secret encrypted at rest."""

    key = EncryptedTextField(default=new_totp_key)  # hex, 20 bytes
    # The secret is bound to this row and to its user (a device belongs to no cell): a key copied
    # onto another person's device fails to decrypt (docs/decisions/0007).
    row_key = models.UUIDField(default=new_row_key, unique=True, editable=False)
    ENCRYPTION_CELL = "user_id"
    step = models.PositiveSmallIntegerField(default=30)
    t0 = models.BigIntegerField(default=0)
    digits = models.PositiveSmallIntegerField(default=6)
    tolerance = models.PositiveSmallIntegerField(default=1)
    drift = models.SmallIntegerField(default=0)
    # The time step of the last accepted code: a code is never accepted twice.
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = _("application d'authentification")
        verbose_name_plural = _("applications d'authentification")

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def verify_token(self, token: Any) -> bool:
        # The logic of django-otp's TOTPDevice: throttled, anti-replay through last_t, drift kept.
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            code = int(token)
        except (TypeError, ValueError):
            self.throttle_increment(commit=True)
            return False
        totp = TOTP(self.bin_key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if totp.verify(code, self.tolerance, self.last_t + 1):
            self.last_t = totp.t()
            self.drift = totp.drift
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment(commit=True)
        return False

    def get_throttle_factor(self) -> int:
        return 1


def new_app_code_step(key_hex: str, token: str) -> int | None:
    """The time step of `token` for an app key not enrolled yet, or None if it does not match.

    The windows sign-in accepts (a new device's tolerance: the current 30-second window or either
    neighbour), so a code read just before its window ends and typed after it is accepted. The
    caller stores the step as the device's `last_t`: that code is then spent (RFC 6238 §5.2)."""
    if len(token) != 6 or not token.isdigit():
        return None
    totp = TOTP(bytes.fromhex(key_hex))
    totp.time = time.time()
    tolerance = TOTPDevice._meta.get_field("tolerance").get_default()
    return totp.t() if totp.verify(int(token), tolerance) else None


def backup_code_digest(device_id: int, code: str) -> str:
    """Keyed hash of a backup code, bound to its device: a database copy alone reveals nothing.

    Eight digits are only 10^8 values, so an unkeyed hash would be reversed in seconds; the key
    (derived from CMER_BLIND_INDEX_KEY, never stored in the database) is what protects them.
    """
    key = hashlib.sha256(b"cmer-backup-code:" + settings.CMER_BLIND_INDEX_KEY.encode()).digest()
    return hmac.new(key, f"{device_id}:{code}".encode(), hashlib.sha256).hexdigest()


class BackupCodeDevice(TimestampMixin, ThrottlingMixin, Device):
    """The person's single-use backup codes (kept hashed in BackupCode)."""

    class Meta(Device.Meta):
        verbose_name = _("codes de secours")
        verbose_name_plural = _("codes de secours")

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        match = self.codes.filter(digest=backup_code_digest(self.pk, str(token))).first()
        if match is None:
            self.throttle_increment(commit=True)
            return False
        match.delete()
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    def get_throttle_factor(self) -> int:
        return 1


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("code de secours")
        verbose_name_plural = _("codes de secours")

    def __str__(self) -> str:
        return f"{self.device_id}"


# --- invitations and second-factor resets ---------------------------------------------------------

INVITATION_VALIDITY = timedelta(hours=72)
FACTOR_RESET_VALIDITY = timedelta(hours=72)


def token_digest(token: str) -> str:
    """Invitation links carry 256 random bits: a plain SHA-256 is enough to keep them unusable."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def visible_to(self, membership: Membership) -> InvitationQuerySet:
        """The cell's invitations, for those who manage memberships; nothing otherwise."""
        from cmer.accounts.permissions import can_manage_memberships

        if not can_manage_memberships(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)

    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """A single-use, 72-hour link inviting a person to one role in a cell (stored as a hash)."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="invitations")
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    service = models.CharField(_("service ou organisation"), max_length=120, blank=True)
    email = models.EmailField(_("adresse électronique"))
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    token_digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations_sent"
    )
    # Sent from the platform admin: the membership it gives waits for the president like any the
    # admin makes (docs/rules.md, "The platform admin"); the creator's is_staff would also flag a
    # staff account that is a cell's manager, and may change after sending.
    by_platform_admin = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_count = models.PositiveSmallIntegerField(default=0)
    accepted_at = models.DateTimeField(null=True, blank=True)
    membership = models.ForeignKey(
        "Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.cell}"

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class FactorResetQuerySet(models.QuerySet["FactorReset"]):
    def visible_to(self, membership: Membership) -> FactorResetQuerySet:
        """The cell's second-factor reset requests, for its president and coordinator only."""
        from cmer.accounts.permissions import can_manage_memberships

        if not can_manage_memberships(membership):
            return self.none()
        return self.filter(cell_id=membership.cell_id)

    def open(self) -> FactorResetQuerySet:
        cutoff = timezone.now() - FACTOR_RESET_VALIDITY
        return self.filter(approved_at__isnull=True, cancelled_at__isnull=True, requested_at__gt=cutoff)


class FactorReset(models.Model):
    """A lost second factor: asked by one manager, carried out only when the other approves."""

    cell = models.ForeignKey(Cell, on_delete=models.PROTECT, related_name="factor_resets")
    target = models.ForeignKey("Membership", on_delete=models.PROTECT, related_name="factor_resets")
    requested_by = models.ForeignKey("Membership", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        "Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = FactorResetQuerySet.as_manager()

    class Meta:
        verbose_name = _("réinitialisation du second facteur")
        verbose_name_plural = _("réinitialisations du second facteur")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.target} ({self.requested_at:%Y-%m-%d})"


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
