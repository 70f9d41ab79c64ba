"""Account, membership and charter changes. Each writes its audit event in the same transaction."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.models import Device
from django_otp_webauthn.models import WebAuthnCredential

from cmer.accounts import approvals, emails
from cmer.accounts.models import (
    INVITATION_VALIDITY,
    BackupCode,
    BackupCodeDevice,
    Cell,
    Charter,
    CharterAcceptance,
    FactorReset,
    Invitation,
    Membership,
    ProConnectIdentity,
    TOTPDevice,
    User,
    backup_code_digest,
    token_digest,
)
from cmer.accounts.permissions import (
    can_approve_factor_reset,
    can_approve_membership,
    can_platform_admin_invite,
    can_request_factor_reset,
    is_cells_first_president,
)
from cmer.accounts.roles import PERSONAL_DATA_ROLES
from cmer.accounts.tasks import send_password_reset
from cmer.audit import context
from cmer.audit.models import AuditEvent, Outcome
from cmer.audit.services import record
from cmer.core.errors import DomainError
from cmer.core.french import format_datetime

BACKUP_CODE_COUNT = 10


class ServiceError(DomainError):
    """A refused account or membership operation (message through gettext, stable code)."""


@transaction.atomic
def charter_accept(
    *, membership: Membership, charter: Charter, by: User, shown_sha256: str | None = None
) -> CharterAcceptance:
    """A member accepts the cell's current charter; the acceptance keeps the hash of its text.

    `shown_sha256` is the fingerprint of the text the page displayed: if the stored text differs
    (it cannot once accepted, but a first acceptance could race an edit), nothing is accepted.
    """
    if charter.cell_id != membership.cell_id or membership.user_id != by.pk:
        raise ServiceError(_("Cette charte ne concerne pas votre appartenance."), code="charter_not_yours")
    locked = Charter.objects.select_for_update().get(pk=charter.pk)
    if shown_sha256 is not None and shown_sha256 != locked.text_sha256:
        raise ServiceError(
            _("Le texte de la charte a changé depuis son affichage : relisez-le puis acceptez-le."),
            code="charter_text_changed",
        )
    acceptance, created = CharterAcceptance.objects.get_or_create(
        membership=membership, charter=locked, defaults={"text_sha256": locked.text_sha256}
    )
    if created:
        record(
            action="charter.accepted",
            actor=by,
            cell=membership.cell_id,
            target=locked,
            data={"version": locked.version, "membership": membership.pk, "sha256": locked.text_sha256},
        )
    return acceptance


def charter_is_accepted(charter: Charter) -> bool:
    """An accepted version is frozen: its text, version and date never change again."""
    return charter.pk is not None and charter.acceptances.exists()


@transaction.atomic
def membership_create(
    *,
    cell: Cell,
    user: User,
    role: str,
    service: str,
    start_date: date,
    by: User,
    by_platform_admin: bool = False,
) -> Membership:
    """Add a person to a cell in one role; one open membership per person and cell.

    Made by the platform admin in a role that opens personal data, it waits for the president's
    approval and the cell's DPO is alerted (docs/rules.md, "The platform admin").
    """
    if Membership.objects.filter(cell=cell, user=user, end_date__isnull=True).exists():
        raise ServiceError(_("Cette personne est déjà membre de la cellule."), code="already_member")
    pending = by_platform_admin and role in PERSONAL_DATA_ROLES
    membership = Membership.objects.create(
        cell=cell, user=user, role=role, service=service, start_date=start_date, approval_pending=pending
    )
    record(
        action="membership.created",
        actor=by,
        cell=cell,
        target=membership,
        data={"role": role, "user": user.pk, "pending": pending},
    )
    if pending:
        approvals.announce_pending(membership)
    return membership


@transaction.atomic
def membership_approve(*, membership: Membership, by: Membership) -> Membership:
    """The cell's president approves a membership made by the platform admin; access opens."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if not can_approve_membership(by, locked):
        raise ServiceError(
            _("Seul le président de la cellule peut valider cette appartenance."), code="not_approver"
        )
    if not locked.approval_pending:
        raise ServiceError(_("Cette appartenance est déjà validée."), code="already_approved")
    locked.approval_pending = False
    locked.approved_by = by.user
    locked.approved_at = timezone.now()
    locked.save(update_fields=["approval_pending", "approved_by", "approved_at"])
    record(
        action="membership.approved",
        actor=by.user,
        cell=locked.cell_id,
        target=locked,
        data={"role": locked.role},
    )
    return locked


@transaction.atomic
def membership_end(*, membership: Membership, by: User, on: date | None = None) -> Membership:
    """End a membership; its access stops immediately (the middleware re-checks each request)."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.end_date is not None:
        raise ServiceError(_("Cette appartenance est déjà terminée."), code="membership_ended")
    locked.end_date = on or timezone.localdate()
    locked.save(update_fields=["end_date"])
    record(
        action="membership.ended", actor=by, cell=locked.cell_id, target=locked, data={"role": locked.role}
    )
    return locked


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, by: User, by_platform_admin: bool = False
) -> Membership:
    """Change a member's role in place (audited with the old and new role).

    Changed by the platform admin to a role that opens personal data, the membership is
    suspended until the president approves it, like a new one.
    """
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    old = locked.role
    if old == role:
        return locked
    pending = by_platform_admin and role in PERSONAL_DATA_ROLES
    locked.role = role
    locked.approval_pending = locked.approval_pending or pending
    locked.save(update_fields=["role", "approval_pending"])
    record(
        action="membership.role_changed",
        actor=by,
        cell=locked.cell_id,
        target=locked,
        data={"from": old, "to": role, "pending": locked.approval_pending},
    )
    if pending:
        approvals.announce_pending(locked)
    return locked


@transaction.atomic
def cell_select(*, user: User, membership: Membership) -> Membership:
    """The person makes one of their memberships the current cell of their session."""
    if membership.user_id != user.pk:
        raise ServiceError(_("Cette appartenance n'est pas la vôtre."), code="membership_not_yours")
    record(action="cell.selected", actor=user, cell=membership.cell_id, target=membership)
    return membership


def second_factor_verified(*, user: User, device_kind: str) -> None:
    """Audit a verified second factor (the session is marked by django-otp's login)."""
    record(action="auth.login_second_factor", actor=user, target=user, data={"device": device_kind})


def second_factor_failed(*, user: User) -> None:
    """Audit a wrong second-factor code (the lockout counts password failures, not these)."""
    record(action="auth.second_factor_failed", actor=user, target=user, outcome=Outcome.FAILED)


BACKUP_DEVICE_NAME = "Codes de secours"


def _new_backup_codes(user: User) -> list[str]:
    device, _created = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": BACKUP_DEVICE_NAME}
    )
    device.codes.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    # Only keyed hashes are stored: the codes are shown once, then exist only on the person's paper.
    BackupCode.objects.bulk_create(
        [BackupCode(device=device, digest=backup_code_digest(device.pk, c)) for c in codes]
    )
    return codes


def has_second_factor(user: User) -> bool:
    """An enrolled primary factor (an authenticator app or a passkey); backup codes alone do not count."""
    return (
        TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()
        or WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True).exists()
    )


def has_passkey(user: User) -> bool:
    return WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True).exists()


@transaction.atomic
def totp_enrol(*, user: User, key_hex: str, last_t: int) -> tuple[TOTPDevice, list[str]]:
    """Confirm a TOTP device and issue backup codes. The caller checked the code of time step
    `last_t`: that code is spent, it cannot sign in afterwards (RFC 6238 §5.2, as TOTPDevice)."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(
        user=user, name="Application TOTP", key=key_hex, confirmed=True, last_t=last_t
    )
    codes = _new_backup_codes(user)
    record(action="auth.otp_enrolled", actor=user, target=user)
    return device, codes


def totp_replace(
    *, user: User, password: str, token: str, key_hex: str, last_t: int, passkey_confirmed: bool = False
) -> TOTPDevice:
    """Swap the authenticator app after re-authentication; the caller checked the new app's code
    of time step `last_t`, spent as at enrolment (totp_enrol)."""
    # Its failures stay written.
    reauthenticate(user=user, password=password, token=token, passkey_confirmed=passkey_confirmed)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name="Application TOTP", key=key_hex, confirmed=True, last_t=last_t
        )
        record(action="auth.otp_replaced", actor=user, target=user)
    return device


def reauthenticate(
    *, user: User, password: str, token: str, passkey_confirmed: bool = False
) -> Device | None:
    """Password and a current second factor again, before a change to the account's security.

    A verified session is not enough: a session left open, or stolen, must not be able to issue
    new backup codes or swap the factors (docs/security.md, "Second factors at rest").
    The factor is a code (app or backup code) or, with `passkey_confirmed`, a passkey assertion
    made for this purpose moments before (cmer/accounts/passkeys.py, single use).
    Not atomic with the change that follows, on purpose: a failure must stay written (the
    device's throttling count and the audit event), while the caller's change is not made.
    """
    ok_password = user.check_password(password)
    # The code is checked even after a wrong password, so both answers take the same path.
    device = match_token(user, token) if token else None
    if not ok_password or (device is None and not passkey_confirmed):
        record(action="auth.reauth_failed", actor=user, target=user, outcome=Outcome.FAILED)
        raise ServiceError(_("Mot de passe ou code incorrect : rien n'a été modifié."), code="reauth_failed")
    return device


def backup_codes_regenerate(
    *, user: User, password: str, token: str, passkey_confirmed: bool = False
) -> list[str]:
    """Replace the user's backup codes after re-authentication; the old ones stop working."""
    # Its failures stay written.
    reauthenticate(user=user, password=password, token=token, passkey_confirmed=passkey_confirmed)
    with transaction.atomic():
        codes = _new_backup_codes(user)
        record(action="auth.backup_codes_regenerated", actor=user, target=user)
    return codes


# --- passkeys (WebAuthn) ----------------------------------------------------------------------------


def passkey_name() -> str:
    # Date and minute: two keys added the same day stay apart in the list.
    return _("Clé d'accès du %(date)s") % {"date": format_datetime(timezone.localtime())}


def passkey_enrolled(*, user: User, device: WebAuthnCredential, first: bool) -> None:
    """Audit a passkey just registered (the caller's transaction also saved it)."""
    record(action="auth.passkey_enrolled", actor=user, target=device, data={"first": first})


def backup_codes_first(*, user: User) -> list[str]:
    """The first backup codes of a person who enrolled a passkey first (no code ever issued).

    Later sets need re-authentication (backup_codes_regenerate): this one is given once only.
    """
    with transaction.atomic():
        if BackupCodeDevice.objects.select_for_update().filter(user=user).exists() or not has_passkey(user):
            raise ServiceError(
                _("Vos codes de secours ont déjà été générés : renouvelez-les depuis la page Sécurité."),
                code="backup_codes_exist",
            )
        codes = _new_backup_codes(user)
        record(action="auth.backup_codes_regenerated", actor=user, target=user, data={"first": True})
    return codes


def passkey_remove(
    *, user: User, device: WebAuthnCredential, password: str, token: str, passkey_confirmed: bool = False
) -> Device | None:
    """Remove one of the user's passkeys after re-authentication; never their last factor.

    Returns the device whose code re-authenticated (None when it was a passkey confirmation).
    """
    used = reauthenticate(user=user, password=password, token=token, passkey_confirmed=passkey_confirmed)
    with transaction.atomic():
        locked = WebAuthnCredential.objects.select_for_update().filter(pk=device.pk, user=user).first()
        if locked is None:
            raise ServiceError(_("Cette clé d'accès n'existe plus."), code="passkey_gone")
        others = WebAuthnCredential.objects.filter(user=user, confirmed=True).exclude(pk=locked.pk)
        if not (others.exists() or TOTPDevice.objects.filter(user=user, confirmed=True).exists()):
            raise ServiceError(
                _(
                    "C'est votre seul second facteur : ajoutez d'abord une autre clé d'accès ou une "
                    "application d'authentification, puis retirez celle-ci."
                ),
                code="last_factor",
            )
        record(action="auth.passkey_removed", actor=user, target=locked)
        locked.delete()
    return used


def passkey_refused(*, user: User | None, step: str, reason: str) -> None:
    """Audit a refused passkey ceremony: the step and the reason code, nothing the browser sent."""
    record(
        action="auth.passkey_refused",
        actor=user,
        target=user,
        outcome=Outcome.FAILED,
        data={"step": step, "reason": reason},
    )


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> User:
    """Deactivate an account; its sessions stop working at the next request."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    record(action="account.deactivated", actor=by, target=user)
    return user


# --- invitations ---------------------------------------------------------------------------------


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def invitation_refusal(
    *, cell: Cell, email: str, role: str, by_platform_admin: bool = False
) -> ServiceError | None:
    """Why this address cannot be invited to this cell now, or None (forms show it before saving)."""
    if by_platform_admin and not can_platform_admin_invite(cell, role):
        return ServiceError(
            _(
                "Cette cellule a déjà un président ou un coordonnateur en fonction : l'administrateur "
                "de la plateforme n'invite que les premiers, les suivants sont invités par eux."
            ),
            code="cell_has_manager",
        )
    if Membership.objects.active().filter(cell=cell, user__email__iexact=email).exists():
        return ServiceError(_("Cette personne est déjà membre de la cellule."), code="already_member")
    if Invitation.objects.pending().filter(cell=cell, email__iexact=email).exists():
        return ServiceError(
            _("Une invitation est déjà en cours pour cette adresse : renvoyez-la ou révoquez-la."),
            code="already_invited",
        )
    return None


@transaction.atomic
def invitation_create(
    *,
    cell: Cell,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    service: str,
    by: User | None,
    by_platform_admin: bool = False,
) -> tuple[Invitation, str]:
    """Invite a person to a role in the cell. Returns the invitation and its link token.

    The token exists only in the returned value and the e-mail; the database keeps its hash.
    `by` is None only for the platform's own command (the admin passes the staff user).
    From the platform admin (`by_platform_admin`), a president or coordinator only while the cell
    has none active, and the membership waits for the president (docs/rules.md, "The platform
    admin").
    """
    email = email.strip().lower()
    refusal = invitation_refusal(cell=cell, email=email, role=role, by_platform_admin=by_platform_admin)
    if refusal is not None:
        raise refusal
    token, digest = _new_token()
    invitation = Invitation.objects.create(
        cell=cell,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        service=service,
        token_digest=digest,
        created_by=by,
        by_platform_admin=by_platform_admin,
        expires_at=timezone.now() + INVITATION_VALIDITY,
        sent_count=1,
    )
    record(action="invitation.created", actor=by, cell=cell, target=invitation, data={"role": role})
    return invitation, token


@transaction.atomic
def invitation_resend(*, invitation: Invitation, by: User) -> tuple[Invitation, str]:
    """A new link for a pending or expired invitation, valid 72 h again; the old link stops working."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.revoked_at is not None:
        raise ServiceError(_("Cette invitation est déjà utilisée ou révoquée."), code="invitation_closed")
    token, locked.token_digest = _new_token()
    locked.expires_at = timezone.now() + INVITATION_VALIDITY
    locked.sent_count += 1
    locked.save(update_fields=["token_digest", "expires_at", "sent_count"])
    record(action="invitation.resent", actor=by, cell=locked.cell_id, target=locked)
    return locked, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    """Revoke an invitation not yet used: its link then gives a clear refusal page."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.accepted_at is not None or locked.revoked_at is not None:
        raise ServiceError(_("Cette invitation est déjà utilisée ou révoquée."), code="invitation_closed")
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    record(action="invitation.revoked", actor=by, cell=locked.cell_id, target=locked)
    return locked


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names (whatever its state), or None; looked up by the token's hash."""
    if not token or len(token) > 100:
        return None
    return Invitation.objects.select_related("cell").filter(token_digest=token_digest(token)).first()


def _accept(invitation: Invitation, user: User) -> Membership:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.state != "pending":
        raise ServiceError(_("Cette invitation n'est plus valable."), code="invitation_closed")
    # An access the platform admin gives waits for the president, as from its membership form
    # (membership_create); only a cell's first president opens at once: nobody could approve them.
    as_platform_admin = locked.by_platform_admin
    if as_platform_admin:
        # One acceptance at a time in the cell: two presidents invited together cannot both be its
        # first, the second waits for the first.
        Cell.objects.select_for_update().filter(pk=locked.cell_id).first()
        as_platform_admin = not is_cells_first_president(locked.cell, locked.role)
    # The membership is the inviter's decision: it is audited as theirs, through the service.
    membership = membership_create(
        cell=locked.cell,
        user=user,
        role=locked.role,
        service=locked.service,
        start_date=timezone.localdate(),
        by=locked.created_by or user,
        by_platform_admin=as_platform_admin,
    )
    locked.accepted_at = timezone.now()
    locked.membership = membership
    locked.save(update_fields=["accepted_at", "membership"])
    record(action="invitation.accepted", actor=user, cell=locked.cell_id, target=locked)
    return membership


@transaction.atomic
def invitation_accept_new_account(*, invitation: Invitation, password: str) -> Membership:
    """The invited person chooses a password: their account and membership are created."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ServiceError(
            _("Un compte existe déjà avec cette adresse : connectez-vous pour accepter."),
            code="account_exists",
        )
    user = User(email=invitation.email, first_name=invitation.first_name, last_name=invitation.last_name)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), code="weak_password") from exc
    user.set_password(password)
    user.save()
    record(action="account.created", actor=user, target=user, data={"via": "invitation"})
    return _accept(invitation, user)


@transaction.atomic
def invitation_accept_existing(*, invitation: Invitation, user: User) -> Membership:
    """A signed-in person whose address the invitation names accepts it."""
    if user.email.lower() != invitation.email.lower():
        raise ServiceError(
            _("Cette invitation est destinée à une autre adresse."), code="invitation_not_yours"
        )
    return _accept(invitation, user)


# --- passwords -----------------------------------------------------------------------------------


def password_change(
    *, user: User, current: str, token: str, new: str, passkey_confirmed: bool = False
) -> User:
    """Change one's password: the current one and a second factor first (other sessions end)."""
    # Its failures stay written.
    reauthenticate(user=user, password=current, token=token, passkey_confirmed=passkey_confirmed)
    try:
        validate_password(new, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), code="weak_password") from exc
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        record(action="auth.password_changed", actor=user, target=user)
    return user


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """The public "forgotten password" form: the same work whether the address exists or not.

    One lookup, one count, one queued job, one audit event, in every case; the e-mail is built and
    sent by the worker (cmer/accounts/tasks.py), so nothing in the answer's time tells the cases
    apart. At most CMER_PASSWORD_RESET_PER_ADDRESS e-mails per account and
    CMER_PASSWORD_RESET_PER_IP requests per client address in an hour: past either, the job is
    queued without an account, as for an unknown address, and the event is a refusal.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    # Counted from the audit trail, which every process writes in the database (django-axes counts
    # login failures only, and a per-process cache would multiply the limit by the workers).
    ip = context.current().ip
    counts = AuditEvent.objects.filter(
        action="auth.password_reset_requested",
        outcome=Outcome.OK,
        created_at__gte=timezone.now() - timedelta(hours=1),
    ).aggregate(
        address=Count("pk", filter=Q(actor_id=user.pk if user else None)),
        ip=Count("pk", filter=Q(ip=ip)),
    )
    limited = (user is not None and counts["address"] >= settings.CMER_PASSWORD_RESET_PER_ADDRESS) or (
        ip is not None and counts["ip"] >= settings.CMER_PASSWORD_RESET_PER_IP
    )
    send_password_reset.enqueue(None if limited or user is None else user.pk)
    # Like failed logins: the typed address is never stored; an unknown one leaves no actor.
    record(
        action="auth.password_reset_requested",
        actor=user,
        target=user,
        outcome=Outcome.DENIED if limited else Outcome.OK,
    )


@transaction.atomic
def password_reset_complete(*, user: User, password: str) -> User:
    """Set the new password from a valid reset link; every session of the account ends."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(" ".join(exc.messages), code="weak_password") from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    record(action="auth.password_reset", actor=user, target=user)
    return user


# --- lost second factor: two managers ------------------------------------------------------------


@transaction.atomic
def factor_reset_request(*, target: Membership, by: Membership) -> FactorReset:
    """First step: one manager asks; nothing changes until the other manager approves."""
    if not can_request_factor_reset(by, target):
        raise ServiceError(_("Vous ne pouvez pas demander cette réinitialisation."), code="reset_refused")
    if FactorReset.objects.open().filter(target=target).exists():
        raise ServiceError(_("Une demande est déjà en attente pour ce membre."), code="reset_pending")
    reset = FactorReset.objects.create(cell_id=target.cell_id, target=target, requested_by=by)
    record(
        action="auth.factor_reset_requested",
        actor=by.user,
        cell=target.cell_id,
        target=reset,
        data={"membership": target.pk},
    )
    return reset


@transaction.atomic
def factor_reset_approve(*, reset: FactorReset, by: Membership) -> FactorReset:
    """Second step: the other manager approves; the factors go, every session of the person ends."""
    locked = (
        FactorReset.objects.select_for_update()
        .select_related("requested_by", "target__user")
        .get(pk=reset.pk)
    )
    if not FactorReset.objects.open().filter(pk=locked.pk).exists():
        raise ServiceError(_("Cette demande n'est plus en attente."), code="reset_closed")
    if not can_approve_factor_reset(by, locked):
        # A president and a coordinator, two people, neither the person: one alone never suffices.
        # (The view refuses first and audits the refusal; this is the service's own guard.)
        raise ServiceError(
            _("La réinitialisation doit être approuvée par l'autre responsable de la cellule."),
            code="reset_needs_other_manager",
        )
    user = User.objects.select_for_update().get(pk=locked.target.user_id)
    TOTPDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    user.session_generation += 1  # every session of the account stops at its next request
    user.save(update_fields=["session_generation"])
    locked.approved_by = by
    locked.approved_at = timezone.now()
    locked.save(update_fields=["approved_by", "approved_at"])
    record(
        action="auth.factor_reset_approved",
        actor=by.user,
        cell=locked.cell_id,
        target=locked,
        data={"membership": locked.target_id, "user": user.pk},
    )
    transaction.on_commit(lambda: _notify_factor_reset(user), robust=True)
    return locked


def _notify_factor_reset(user: User) -> None:
    emails.send_factor_reset(user)


class ProConnectRefused(Exception):
    """A ProConnect sign-in refused for a reason the person can act on (code shown as a page)."""

    def __init__(self, reason: str, user_id: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id


@transaction.atomic
def proconnect_identity_for(*, issuer: str, sub: str, email: str) -> ProConnectIdentity:
    """The identity for issuer + sub; linked by e-mail once, to an account that already exists.

    Never by e-mail afterwards: a linked identity keeps its account whatever e-mail the identity
    provider sends later, and an account already linked to another `sub` is not taken over.
    """
    identity = ProConnectIdentity.objects.select_related("user").filter(issuer=issuer, sub=sub).first()
    if identity is not None:
        if not identity.user.is_active:
            raise ProConnectRefused("unknown", user_id=identity.user_id)
        return identity
    user = User.objects.filter(email__iexact=email, is_active=True).first() if email else None
    if user is None:
        raise ProConnectRefused("unknown")
    if ProConnectIdentity.objects.filter(issuer=issuer, user=user).exists():
        raise ProConnectRefused("collision", user_id=user.pk)
    identity = ProConnectIdentity.objects.create(
        user=user, issuer=issuer, sub=sub, name="ProConnect", confirmed=True
    )
    record(action="auth.proconnect_linked", actor=user, target=identity, data={"user": user.pk})
    return identity


def proconnect_signed_in(*, identity: ProConnectIdentity, acr: str) -> None:
    """Audit a ProConnect sign-in; at a multi-factor acr it is the session's second factor."""
    record(
        action="auth.login_second_factor",
        actor=identity.user,
        target=identity.user,
        data={"device": "proconnect", "acr": acr},
    )


def proconnect_refused(*, reason: str, user_id: int | None) -> None:
    """Audit a refused ProConnect sign-in: the reason code and, when known, the account id only."""
    record(
        action="auth.proconnect_refused",
        target_type="accounts.user" if user_id else "",
        target_id=user_id or "",
        outcome=Outcome.DENIED,
        data={"reason": reason},
    )
