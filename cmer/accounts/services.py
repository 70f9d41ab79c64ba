"""Account, membership and charter changes. Each writes its audit event in the same transaction."""

from __future__ import annotations

import secrets
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership, ProConnectIdentity, User
from cmer.audit.models import Outcome
from cmer.audit.services import record
from cmer.core.errors import DomainError

BACKUP_CODE_COUNT = 10


class ServiceError(DomainError):
    """A refused account or membership operation (message through gettext, stable code)."""


@transaction.atomic
def charter_accept(*, membership: Membership, charter: Charter, by: User) -> CharterAcceptance:
    """A member accepts the cell's current charter; the acceptance is kept with its version."""
    if charter.cell_id != membership.cell_id or membership.user_id != by.pk:
        raise ServiceError(_("Cette charte ne concerne pas votre appartenance."), code="charter_not_yours")
    acceptance, created = CharterAcceptance.objects.get_or_create(membership=membership, charter=charter)
    if created:
        record(
            action="charter.accepted",
            actor=by,
            cell=membership.cell_id,
            target=charter,
            data={"version": charter.version, "membership": membership.pk},
        )
    return acceptance


@transaction.atomic
def membership_create(
    *, cell: Cell, user: User, role: str, service: str, start_date: date, by: User
) -> Membership:
    """Add a person to a cell in one role; one open membership per person and cell."""
    if Membership.objects.filter(cell=cell, user=user, end_date__isnull=True).exists():
        raise ServiceError(_("Cette personne est déjà membre de la cellule."), code="already_member")
    membership = Membership.objects.create(
        cell=cell, user=user, role=role, service=service, start_date=start_date
    )
    record(
        action="membership.created",
        actor=by,
        cell=cell,
        target=membership,
        data={"role": role, "user": user.pk},
    )
    return membership


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
def membership_change_role(*, membership: Membership, role: str, by: User) -> Membership:
    """Change a member's role in place (audited with the old and new role)."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    old = locked.role
    if old == role:
        return locked
    locked.role = role
    locked.save(update_fields=["role"])
    record(
        action="membership.role_changed",
        actor=by,
        cell=locked.cell_id,
        target=locked,
        data={"from": old, "to": role},
    )
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


def _new_backup_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def totp_enrol(*, user: User, key_hex: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm a TOTP device (the token was checked by the caller) and issue backup codes."""
    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="Application TOTP", key=key_hex, confirmed=True)
    static, _created = StaticDevice.objects.get_or_create(user=user, name="Codes de secours")
    codes = _new_backup_codes(static)
    record(action="auth.otp_enrolled", actor=user, target=user)
    return device, codes


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's backup codes; the old ones stop working."""
    static, _created = StaticDevice.objects.get_or_create(user=user, name="Codes de secours")
    codes = _new_backup_codes(static)
    record(action="auth.backup_codes_regenerated", actor=user, target=user)
    return codes


@transaction.atomic
def user_deactivate(*, user: User, by: User) -> User:
    """Deactivate an account; its sessions stop working at the next request."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    record(action="account.deactivated", actor=by, target=user)
    return user


@transaction.atomic
def password_change(*, user: User, new_password: str) -> User:
    """The user's own new password (the form checked the current one and the validators).

    The caller keeps the session valid with update_session_auth_hash; the second factor already
    verified in this session stays verified, since the session is the same one.
    """
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record(action="auth.password_changed", actor=user, target=user)
    return user


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
