"""Account, membership and charter changes. Each writes its audit event in the same transaction."""

from __future__ import annotations

import secrets
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cmer.accounts import approvals
from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership, User
from cmer.accounts.permissions import can_approve_membership
from cmer.accounts.roles import PERSONAL_DATA_ROLES
from cmer.audit.models import Outcome
from cmer.audit.services import record
from cmer.core.errors import DomainError

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
