import itertools
import secrets

from django_otp_webauthn.models import WebAuthnCredential

from cmer.accounts import services
from cmer.accounts.models import FactorReset, Invitation, Membership
from tests.matrix import ALL, CELL_MANAGERS, Row, audited
from tests.personas import CellWorld, World, make_user

EVERYONE = ALL | {"staff", "outsider"}
_serial = itertools.count()
_pending_users = itertools.count()


def _pending_membership(w, c) -> dict:
    """A membership the platform admin made in cell c, waiting for its president."""
    user = make_user(f"pending{next(_pending_users)}@test.cmer")
    membership = Membership.objects.create(user=user, cell=c.cell, role="member", approval_pending=True)
    return {"pk": membership.pk}


def _invitation(w: World, c: CellWorld) -> dict[str, int]:
    invitation, _token = services.invitation_create(
        cell=c.cell,
        email=f"invitee{next(_serial)}@test.cmer",
        first_name="Inès",
        last_name="Vitée",
        role="member",
        service="CCAS",
        by=c.user("coordinator"),
    )
    return {"pk": invitation.pk}


def _reset(w: World, c: CellWorld) -> dict[str, int]:
    """A reset of the member's factor asked by the coordinator: only the president may approve."""
    reset = services.factor_reset_request(target=c.members["member"], by=c.members["coordinator"])
    return {"pk": reset.pk}


def _someone_elses_passkey(w: World, c: CellWorld) -> dict[str, int]:
    owner = make_user(f"passkey{next(_serial)}@test.cmer")
    passkey = WebAuthnCredential.objects.create(
        user=owner, name="clé", credential_id=secrets.token_bytes(32), public_key=b"k", confirmed=True
    )
    return {"pk": passkey.pk}


def _invitation_revoked(w: World, c: CellWorld, kw: dict) -> bool:
    return (
        audited("invitation.revoked")(w, c, kw) and Invitation.objects.get(pk=kw["pk"]).revoked_at is not None
    )


def _reset_approved(w: World, c: CellWorld, kw: dict) -> bool:
    return audited("auth.factor_reset_approved")(w, c, kw) and (
        FactorReset.objects.get(pk=kw["pk"]).approved_at is not None
    )


ROWS = {
    "core:dashboard": Row(allowed=EVERYONE),
    "core:healthz": Row(public=True),
    # Readiness: in the test world no worker, purge or checkpoint ever ran, so 503 (the 200 and the
    # failing names are tested in tests/test_health.py).
    "core:sante": Row(public=True, status=503),
    "accounts:login": Row(public=True),
    "accounts:logout": Row(auth_step=True),
    "accounts:otp_verify": Row(auth_step=True),
    "accounts:otp_setup": Row(auth_step=True),
    "accounts:backup_codes": Row(allowed=EVERYONE),
    # One's own account: every signed-in person, cell or not.
    "accounts:account": Row(allowed=EVERYONE),
    "accounts:totp_replace": Row(allowed=EVERYONE),
    "accounts:password_change": Row(allowed=EVERYONE),
    "accounts:passkey_add": Row(allowed=EVERYONE),
    # Issues first backup codes only on POST; the page itself is the same for everyone.
    "accounts:passkey_enrolled": Row(allowed=EVERYONE),
    # One's own passkeys only: a passkey of someone else is 404 to every persona (the owner's
    # page and removal are tested in tests/test_passkeys.py).
    "accounts:passkey_remove": Row(allowed=EVERYONE, kwargs=_someone_elses_passkey, status=404),
    # The JSON steps of the passkey ceremonies (second-factor step; tests/test_passkeys.py).
    "accounts:passkey_auth_begin": Row(auth_step=True),
    "accounts:passkey_auth_complete": Row(auth_step=True),
    "accounts:passkey_register_begin": Row(auth_step=True),
    "accounts:passkey_register_complete": Row(auth_step=True),
    "accounts:password_reset": Row(public=True),
    # Links of e-mails, open without a session: their answers are tested in test_invitations.py.
    # A link that names no real account or invitation (the guards walk it as anonymous).
    "accounts:password_reset_confirm": Row(
        auth_step=True, kwargs=lambda w, c: {"uidb64": "MA", "token": "aaaaaa-0123456789abcdef"}
    ),
    "accounts:invitation": Row(auth_step=True, kwargs=lambda w, c: {"token": "x" * 43}),
    "accounts:choose_cell": Row(allowed=EVERYONE),
    "accounts:charter": Row(allowed=ALL),
    "accounts:members": Row(allowed=CELL_MANAGERS),
    "accounts:member_add": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        data=lambda w, c: {"email": w.outsider.email, "role": "member", "service": "CCAS"},
        redirect_to="accounts:members",
        effect=audited("membership.created"),
    ),
    "accounts:member_end": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": c.members["member"].pk},
        redirect_to="accounts:members",
        effect=audited("membership.ended"),
        refused=404,
    ),
    "accounts:member_role": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": c.members["member"].pk},
        data=lambda w, c: {"role": "guest"},
        redirect_to="accounts:members",
        effect=audited("membership.role_changed"),
        refused=404,
    ),
    "accounts:approvals": Row(allowed=frozenset({"president"})),
    "accounts:member_approve": Row(
        method="POST",
        allowed=frozenset({"president"}),
        kwargs=_pending_membership,
        redirect_to="accounts:approvals",
        effect=audited("membership.approved"),
        refused=404,
        refused_for={"coordinator": 403},
    ),
    "accounts:invitation_create": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        data=lambda w, c: {
            "email": "nouvelle.personne@test.cmer",
            "first_name": "Nouvelle",
            "last_name": "Personne",
            "role": "member",
            "service": "CCAS",
        },
        redirect_to="accounts:members",
        effect=audited("invitation.created"),
    ),
    "accounts:invitation_resend": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=_invitation,
        redirect_to="accounts:members",
        effect=audited("invitation.resent"),
        refused=404,
    ),
    "accounts:invitation_revoke": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=_invitation,
        redirect_to="accounts:members",
        effect=_invitation_revoked,
        refused=404,
    ),
    "accounts:factor_reset_request": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": c.members["member"].pk},
        redirect_to="accounts:members",
        effect=audited("auth.factor_reset_requested"),
        refused=404,
    ),
    "accounts:factor_reset_approve": Row(
        method="POST",
        allowed=frozenset({"president"}),
        kwargs=_reset,
        redirect_to="accounts:members",
        effect=_reset_approved,
        refused=404,
        # The coordinator asked: approving their own request alone is refused by the predicate.
        refused_for={"coordinator": 403},
    ),
}

# ProConnect's URLs exist only when an installation turns it on; tests/settings.py turns it on so
# that they are listed here. Sign-in steps: their exact answers are in tests/test_proconnect.py.
ROWS |= {
    "accounts:proconnect_start": Row(auth_step=True),
    "accounts:proconnect_callback": Row(auth_step=True),
    "accounts:proconnect_logged_out": Row(auth_step=True),
}
