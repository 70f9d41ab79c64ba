from __future__ import annotations

import base64
import io
import logging
import secrets
import smtplib
import time
from typing import Any, cast
from urllib.parse import quote, urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp_webauthn.models import WebAuthnCredential

from cmer.accounts import emails, passkeys, proconnect, services
from cmer.accounts.forms import (
    ChooseCellForm,
    EnrolmentTokenForm,
    InvitationForm,
    LoginForm,
    MembershipCreateForm,
    MembershipRoleForm,
    NewPasswordForm,
    PasswordChangeForm,
    PasswordResetRequestForm,
    ReauthForm,
    TokenForm,
    TotpReplaceForm,
)
from cmer.accounts.http import AccountRequest, CellRequest
from cmer.accounts.models import (
    BackupCode,
    FactorReset,
    Invitation,
    Membership,
    TOTPDevice,
    User,
    new_app_code_step,
)
from cmer.accounts.permissions import (
    can_approve_factor_reset,
    can_approve_membership,
    can_approve_memberships,
    can_end_membership,
    can_invite,
    can_manage_memberships,
    can_request_factor_reset,
    roles_given_by,
)
from cmer.core.errors import run_service
from cmer.core.policy import deny, get_visible_or_404, requires

logger = logging.getLogger("cmer.accounts")

# Lazy: built at import time, translated for each request.
LOGIN_FAILED = gettext_lazy("Adresse électronique ou mot de passe incorrect.")
# Demo-only code: refused unless DEBUG and CMER_DEMO are both on (tests/test_auth.py).
DEMO_TOKEN = "000000"  # nosec B105


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("core:dashboard")


@login_not_required
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    # Bound on every POST, even an empty one: an unbound form cannot carry the error below.
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"].lower(),
            password=form.cleaned_data["password"],
        )
        if user is not None:
            login(request, user)  # rotates the session key
            request.session["cmer_login_at"] = time.time()
            request.session["cmer_next"] = _next_url(request)
            return redirect("accounts:otp_verify")
        form.add_error(None, LOGIN_FAILED)
    elif request.method == "POST":
        form.add_error(None, LOGIN_FAILED)
    return render(request, "accounts/login.html", {"form": form, **_login_context()})


def _login_context() -> dict[str, Any]:
    return {"proconnect": settings.CMER_PROCONNECT_ENABLED}


def locked_out(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    """Axes lockout answer: the same for known and unknown accounts."""
    # An unbound form cannot carry errors (add_error needs cleaned_data): the message goes apart.
    lockout = _(
        "Trop de tentatives infructueuses : la connexion est bloquée pendant 15 minutes. "
        "Contactez votre coordonnateur si le problème persiste."
    )
    return render(
        request,
        "accounts/login.html",
        {"form": LoginForm(), "lockout": lockout, **_login_context()},
        status=429,
    )


def _after_second_factor(request: HttpRequest) -> HttpResponse:
    target = request.session.pop("cmer_next", None) or reverse("core:dashboard")
    return redirect(target)


def _demo_token_allowed() -> bool:
    # Both flags, read at call time: a production server (DEBUG off) never accepts it.
    return bool(settings.DEBUG and settings.CMER_DEMO)


@require_http_methods(["GET", "POST"])
def otp_verify(request: AccountRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():  # type: ignore[attr-defined]  # set per request by django-otp
        return redirect("core:dashboard")
    if not services.has_second_factor(user):
        return redirect("accounts:otp_setup")
    device_qs = TOTPDevice.objects.filter(user=user, confirmed=True)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        device = match_token(user, token)
        if device is None and _demo_token_allowed() and token == DEMO_TOKEN:
            device = device_qs.first()
        if device is not None:
            otp_login(request, device)
            # A new session id once the second factor is in: an id seen before it is worth nothing.
            request.session.cycle_key()
            services.second_factor_verified(user=user, device_kind=device.__class__.__name__.lower())
            return _after_second_factor(request)
        services.second_factor_failed(user=user)
        form.add_error("token", _("Code invalide ou expiré."))
    context = {"form": form, "demo": _demo_token_allowed(), "has_totp": device_qs.exists()}
    if services.has_passkey(user):
        # « Utiliser une clé d'accès »: the library's script, our views (cmer/accounts/passkeys.py).
        context.update(passkeys.script_context(request), passkey=True)
    return render(request, "accounts/otp_verify.html", context)


def _qr_data_uri(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_http_methods(["GET", "POST"])
def otp_setup(request: AccountRequest) -> HttpResponse:
    user = request.user
    if services.has_second_factor(user):
        return redirect("accounts:otp_verify")
    key_hex = request.session.get("cmer_totp_key")
    if not key_hex:
        key_hex = secrets.token_hex(20)
        request.session["cmer_totp_key"] = key_hex
    form = EnrolmentTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        step = new_app_code_step(key_hex, form.cleaned_data["token"])
        if step is not None:
            device, codes = services.totp_enrol(user=user, key_hex=key_hex, last_t=step)
            del request.session["cmer_totp_key"]
            otp_login(request, device)
            request.session.cycle_key()
            return render(request, "accounts/backup_codes.html", {"codes": codes, "just_enrolled": True})
        form.add_error("token", _("Code invalide : vérifiez l'heure de votre téléphone et réessayez."))
    # Or a passkey instead of the app: registered by the library's script through our views.
    context = {"form": form, **_enrolment(user, key_hex), **passkeys.script_context(request)}
    return render(request, "accounts/otp_setup.html", context)


@require_http_methods(["GET", "POST"])
def passkey_enrolled(request: AccountRequest) -> HttpResponse:
    """After a first passkey: its backup codes, issued once on request (then shown once)."""
    if request.method == "POST":
        codes = run_service(request, lambda: services.backup_codes_first(user=request.user))
        if codes is not None:
            return render(request, "accounts/backup_codes.html", {"codes": codes, "just_enrolled": True})
        return redirect("accounts:backup_codes")
    return render(request, "accounts/passkey_enrolled.html")


def _enrolment(user: User, key_hex: str) -> dict[str, str]:
    """QR code and manual key of a TOTP secret not yet confirmed (kept in the session only)."""
    secret_b32 = base64.b32encode(bytes.fromhex(key_hex)).decode()
    uri = "otpauth://totp/{}?{}".format(
        quote(f"CMER:{user.email}"),
        urlencode({"secret": secret_b32, "issuer": "CMER", "digits": 6, "period": 30}),
    )
    return {"qr": _qr_data_uri(uri), "secret": secret_b32}


@require_http_methods(["GET", "POST"])
def security(request: AccountRequest) -> HttpResponse:
    """The user's own security page: backup codes (regenerated after re-authentication), links."""
    form = _reauth_form(request, ReauthForm)
    if request.method == "POST" and form.is_valid():
        confirmed = passkeys.take_confirmation(request) is not None
        codes = run_service(
            request,
            lambda: services.backup_codes_regenerate(
                user=request.user,
                password=form.cleaned_data["password"],
                token=form.cleaned_data["token"],
                passkey_confirmed=confirmed,
            ),
        )
        if codes is not None:
            return render(request, "accounts/backup_codes.html", {"codes": codes})
        return redirect("accounts:backup_codes")
    remaining = BackupCode.objects.filter(device__user=request.user).count()
    status = 400 if request.method == "POST" else 200
    context = {
        "remaining": remaining,
        "form": form,
        "passkey_list": _own_passkeys(request.user),
        "has_totp": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        **_reauth_context(request),
    }
    return render(request, "accounts/security.html", context, status=status)


def _own_passkeys(user: User) -> Any:
    # One's own devices only, through the user's id: no other person's passkey is ever listed.
    return WebAuthnCredential.objects.filter(user_id=user.pk, confirmed=True).order_by("created_at")


def _reauth_form(request: AccountRequest, form_class: Any) -> Any:
    """A re-authentication form; a fresh passkey confirmation in the session stands for the code."""
    confirmed = passkeys.has_confirmation(request)
    return form_class(request.POST or None, passkey_confirmed=confirmed)


def _reauth_context(request: AccountRequest) -> dict[str, Any]:
    """« Confirmer avec ma clé d'accès » beside the code field, for a person who has a passkey."""
    if not services.has_passkey(request.user):
        return {}
    return {
        "reauth_passkey": True,
        "passkey_confirmed": passkeys.has_confirmation(request),
        **passkeys.script_context(request),
    }


@require_http_methods(["GET", "POST"])
def passkey_add(request: AccountRequest) -> HttpResponse:
    """Add a passkey: password and a current factor first, then the browser registers it."""
    form = _reauth_form(request, ReauthForm)
    if request.method == "POST" and form.is_valid():
        confirmed = passkeys.take_confirmation(request) is not None
        done = run_service(
            request,
            lambda: (
                services.reauthenticate(
                    user=request.user,
                    password=form.cleaned_data["password"],
                    token=form.cleaned_data["token"],
                    passkey_confirmed=confirmed,
                )
                or True
            ),
            form=form,
        )
        if done:
            passkeys.open_registration(request)
            context = {"register": True, **passkeys.script_context(request)}
            return render(request, "accounts/passkey_add.html", context)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, **_reauth_context(request)}
    return render(request, "accounts/passkey_add.html", context, status=status)


@require_http_methods(["GET", "POST"])
def passkey_remove(request: AccountRequest, pk: int) -> HttpResponse:
    """Remove one of one's passkeys, after re-authentication; never the last second factor."""
    device = get_visible_or_404(request, _own_passkeys(request.user), pk=pk)
    form = _reauth_form(request, ReauthForm)
    if request.method == "POST" and form.is_valid():
        confirming = passkeys.take_confirmation(request)
        session_device = request.user.otp_device.persistent_id  # type: ignore[attr-defined]
        removed = device.persistent_id
        done = run_service(
            request,
            lambda: [
                services.passkey_remove(
                    user=request.user,
                    device=device,
                    password=form.cleaned_data["password"],
                    token=form.cleaned_data["token"],
                    passkey_confirmed=confirming is not None,
                )
            ],
            success=_("Clé d'accès retirée : elle ne permet plus de vous connecter."),
            form=form,
        )
        if done:
            if session_device == removed:
                # The passkey that verified this session is gone: the factor just proved takes over.
                otp_login(request, confirming or done[0])
            return redirect("accounts:backup_codes")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "device": device, **_reauth_context(request)}
    return render(request, "accounts/passkey_remove.html", context, status=status)


@require_http_methods(["GET", "POST"])
def totp_replace(request: AccountRequest) -> HttpResponse:
    """Swap the authenticator app: password and a current code, then a code of the new app."""
    user = request.user
    key_hex = request.session.get("cmer_totp_new_key")
    if not key_hex:
        key_hex = secrets.token_hex(20)
        request.session["cmer_totp_new_key"] = key_hex
    form = _reauth_form(request, TotpReplaceForm)
    if request.method == "POST" and form.is_valid():
        confirmed = passkeys.take_confirmation(request) is not None
        step = new_app_code_step(key_hex, form.cleaned_data["new_token"])
        if step is None:
            form.add_error(
                "new_token", _("Code invalide : vérifiez l'heure de votre téléphone et réessayez.")
            )
        elif run_service(
            request,
            lambda: services.totp_replace(
                user=user,
                password=form.cleaned_data["password"],
                token=form.cleaned_data["token"],
                key_hex=key_hex,
                last_t=step,
                passkey_confirmed=confirmed,
            ),
            success=_("Nouvelle application d'authentification enregistrée."),
        ):
            del request.session["cmer_totp_new_key"]
            device = TOTPDevice.objects.get(user=user)
            otp_login(request, device)
            request.session.cycle_key()
            return redirect("accounts:backup_codes")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, **_enrolment(user, key_hex), **_reauth_context(request)}
    return render(request, "accounts/totp_replace.html", context, status=status)


@require_http_methods(["GET", "POST"])
def password_change(request: AccountRequest) -> HttpResponse:
    """Change one's password: current password, a second factor, then the new one twice."""
    form = _reauth_form(request, PasswordChangeForm)
    if request.method == "POST" and form.is_valid():
        confirmed = passkeys.take_confirmation(request) is not None
        user = run_service(
            request,
            lambda: services.password_change(
                user=request.user,
                current=form.cleaned_data["password"],
                token=form.cleaned_data["token"],
                new=form.cleaned_data["new_password1"],
                passkey_confirmed=confirmed,
            ),
            success=_("Mot de passe modifié. Vos autres sessions sont fermées."),
        )
        if user is not None:
            update_session_auth_hash(request, user)  # this session stays; the others end
            request.session.cycle_key()
            _send_quietly(lambda: emails.send_password_changed(user))
            return redirect("accounts:backup_codes")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, **_reauth_context(request)}
    return render(request, "accounts/password_change.html", context, status=status)


def _send_quietly(send: Any) -> None:
    """A courtesy e-mail that fails must not undo what was done (the change is audited)."""
    try:
        send()
    except (smtplib.SMTPException, OSError):
        logger.warning("account e-mail not sent")


@login_not_required
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Forgotten password: the same answer, page and work whether the account exists or not."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return render(request, "accounts/password_reset.html", {"form": None, "sent": True})
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_reset.html", {"form": form, "sent": False}, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the reset e-mail: a new password; the second factor is still asked at login."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError):
        pk = None
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/link_invalid.html", {"reason": "reset"}, status=410)
    form = NewPasswordForm(request.POST or None)
    done = (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            lambda: services.password_reset_complete(user=user, password=form.cleaned_data["new_password1"]),
            success=_("Mot de passe enregistré. Connectez-vous : le second facteur vous sera demandé."),
            form=form,
        )
    )
    if done:
        return redirect("accounts:login")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_reset_confirm.html", {"form": form}, status=status)


@require_GET
def account(request: AccountRequest) -> HttpResponse:
    """The user's own account: who they are, their memberships, and the ways to secure it."""
    # Only one's own memberships: the user's reverse relation, never another person's.
    memberships = request.user.memberships.active().select_related("cell")
    return render(request, "accounts/account.html", {"memberships": memberships})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    id_token = request.session.get("oidc_id_token")
    logout(request)  # flushes the session: it cannot be replayed
    messages.info(request, _("Vous êtes déconnecté."))
    if id_token and settings.CMER_PROCONNECT_ENABLED:
        # Signed in through ProConnect: end that session too, or the next person at this
        # computer would be signed straight back in by ProConnect.
        return redirect(proconnect.end_session_url(request, id_token))
    return redirect("accounts:login")


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link of an invitation e-mail: choose a password (new account) or accept (signed in)."""
    found = services.invitation_for_token(token)
    if found is None or found.state != "pending":
        reason = found.state if found is not None else "unknown"
        return render(request, "accounts/link_invalid.html", {"reason": reason}, status=410)
    user = request.user
    if user.is_authenticated:
        return _invitation_signed_in(request, found)
    if User.objects.filter(email__iexact=found.email).exists():
        next_url = reverse("accounts:invitation", kwargs={"token": token})
        return render(
            request, "accounts/invitation.html", {"invitation": found, "existing": True, "next": next_url}
        )
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        membership = run_service(
            request,
            lambda: services.invitation_accept_new_account(
                invitation=found, password=form.cleaned_data["new_password1"]
            ),
            form=form,
        )
        if membership is not None:
            # Signed in with the password just chosen; the second factor is enrolled next.
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session["cmer_login_at"] = time.time()
            request.session["cmer_membership"] = membership.pk
            return redirect("accounts:otp_setup")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation.html", {"invitation": found, "form": form}, status=status)


def _invitation_signed_in(request: HttpRequest, found: Invitation) -> HttpResponse:
    user = cast(User, request.user)  # the caller checked is_authenticated
    if not user.is_verified():  # type: ignore[attr-defined]  # set by django-otp per request
        return redirect("accounts:otp_verify")
    if request.method == "POST":
        membership = run_service(
            request,
            lambda: services.invitation_accept_existing(invitation=found, user=user),
        )
        if membership is not None:
            request.session["cmer_membership"] = membership.pk
            return redirect("core:dashboard")
    mismatch = user.email.lower() != found.email.lower()
    context = {"invitation": found, "signed_in": True, "mismatch": mismatch}
    return render(request, "accounts/invitation.html", context)


@require_http_methods(["GET", "POST"])
def choose_cell(request: AccountRequest) -> HttpResponse:
    form = ChooseCellForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        membership = services.cell_select(user=request.user, membership=form.cleaned_data["membership"])
        request.session["cmer_membership"] = membership.pk
        return redirect("core:dashboard")
    return render(request, "accounts/choose_cell.html", {"form": form})


@require_http_methods(["GET", "POST"])
def charter(request: AccountRequest) -> HttpResponse:
    membership = request.membership
    if membership is None:
        return redirect("accounts:choose_cell")
    current = membership.cell.current_charter()
    accepted = current is not None and membership.has_accepted_current_charter()
    if request.method == "POST" and current is not None and not accepted:
        if request.POST.get("accept") != "yes":
            messages.error(request, _("Cochez la case pour accepter la charte."))
        elif run_service(
            request,
            lambda: services.charter_accept(
                membership=membership,
                charter=current,
                by=request.user,
                shown_sha256=request.POST.get("text_sha256", ""),
            ),
            success=_("Charte acceptée. Bienvenue dans la cellule."),
        ):
            return redirect("core:dashboard")
    return render(request, "accounts/charter.html", {"charter": current, "accepted": accepted})


@requires(can_manage_memberships, "membership.list")
def members(request: CellRequest) -> HttpResponse:
    return render(
        request,
        "accounts/members.html",
        _members_context(
            request, MembershipCreateForm(roles=_roles(request)), InvitationForm(roles=_roles(request))
        ),
    )


def _roles(request: CellRequest) -> list[str]:
    return roles_given_by(request.membership)


def _members_context(request: CellRequest, form: Any, invite_form: Any) -> dict[str, Any]:
    membership = request.membership
    rows = (
        Membership.objects.visible_to(membership)
        .select_related("user")
        .order_by("end_date", "role", "user__last_name")
    )
    invitations = Invitation.objects.visible_to(membership).pending().order_by("-created_at")
    resets = list(
        FactorReset.objects.visible_to(membership).open().select_related("target__user", "requested_by__user")
    )
    for reset in resets:
        reset.can_approve = can_approve_factor_reset(membership, reset)  # type: ignore[attr-defined]
    return {
        "rows": rows,
        "form": form,
        "invite_form": invite_form,
        "invitations": invitations,
        "resets": resets,
        "pending_reset_ids": {r.target_id for r in resets},
    }


@require_POST
@requires(can_manage_memberships, "membership.create")
def member_add(request: CellRequest) -> HttpResponse:
    membership = request.membership
    form = MembershipCreateForm(request.POST, roles=_roles(request))
    if form.is_valid() and run_service(
        request,
        lambda: services.membership_create(
            cell=membership.cell,
            user=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            service=form.cleaned_data["service"],
            start_date=timezone.localdate(),
            by=request.user,
        ),
        success=_("Membre ajouté."),
        form=form,
    ):
        return redirect("accounts:members")
    return render(
        request,
        "accounts/members.html",
        _members_context(request, form, InvitationForm(roles=_roles(request))),
        status=400,
    )


@require_POST
@requires(can_invite, "invitation.create")
def invitation_create(request: CellRequest) -> HttpResponse:
    form = InvitationForm(request.POST, roles=_roles(request))
    created = form.is_valid() and run_service(
        request,
        lambda: services.invitation_create(cell=request.cell, by=request.user, **form.cleaned_data),
        form=form,
    )
    if not created:
        context = _members_context(request, MembershipCreateForm(roles=_roles(request)), form)
        return render(request, "accounts/members.html", context, status=400)
    invitation, token = created
    _send_invitation(request, invitation, token)
    return redirect("accounts:members")


def _send_invitation(request: HttpRequest, invitation: Invitation, token: str) -> None:
    try:
        emails.send_invitation(invitation, token)
    except (smtplib.SMTPException, OSError):
        logger.warning("invitation e-mail not sent id=%s", invitation.pk)
        messages.warning(
            request, _("L'invitation est enregistrée mais le courriel n'est pas parti : renvoyez-la.")
        )
        return
    messages.success(request, _("Invitation envoyée. Le lien est valable 72 heures."))


@require_POST
def invitation_resend(request: CellRequest, pk: int) -> HttpResponse:
    found = get_visible_or_404(request, Invitation.objects.visible_to(request.membership), pk=pk)
    if not can_invite(request.membership):
        raise deny(request, "invitation.resend", found)
    resent = run_service(request, lambda: services.invitation_resend(invitation=found, by=request.user))
    if resent:
        _send_invitation(request, *resent)
    return redirect("accounts:members")


@require_POST
def invitation_revoke(request: CellRequest, pk: int) -> HttpResponse:
    found = get_visible_or_404(request, Invitation.objects.visible_to(request.membership), pk=pk)
    if not can_invite(request.membership):
        raise deny(request, "invitation.revoke", found)
    run_service(
        request,
        lambda: services.invitation_revoke(invitation=found, by=request.user),
        success=_("Invitation révoquée : son lien ne fonctionne plus."),
    )
    return redirect("accounts:members")


@require_POST
def factor_reset_request(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    target = get_visible_or_404(request, Membership.objects.visible_to(membership), pk=pk)
    if not can_request_factor_reset(membership, target):
        raise deny(request, "factor_reset.request", target)
    run_service(
        request,
        lambda: services.factor_reset_request(target=target, by=membership),
        success=_("Demande enregistrée : l'autre responsable de la cellule doit l'approuver."),
    )
    return redirect("accounts:members")


@require_POST
def factor_reset_approve(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    reset = get_visible_or_404(
        request,
        FactorReset.objects.visible_to(membership).select_related("requested_by", "target"),
        pk=pk,
    )
    if not can_approve_factor_reset(membership, reset):
        raise deny(request, "factor_reset.approve", reset)
    run_service(
        request,
        lambda: services.factor_reset_approve(reset=reset, by=membership),
        success=_(
            "Second facteur réinitialisé : la personne est prévenue par courriel, ses sessions sont fermées."
        ),
    )
    return redirect("accounts:members")


@require_POST
def member_end(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    target = get_visible_or_404(request, Membership.objects.visible_to(membership), pk=pk)
    if not can_end_membership(membership, target):
        raise deny(request, "membership.end", target)
    run_service(
        request,
        lambda: services.membership_end(membership=target, by=request.user),
        success=_("Appartenance terminée : l'accès est coupé."),
    )
    return redirect("accounts:members")


@require_POST
def member_role(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    target = get_visible_or_404(request, Membership.objects.visible_to(membership), pk=pk)
    if not can_end_membership(membership, target):
        raise deny(request, "membership.role", target)
    form = MembershipRoleForm(request.POST, roles=_roles(request))
    if not form.is_valid():
        messages.error(request, _("Rôle inconnu."))
        return redirect("accounts:members")
    run_service(
        request,
        lambda: services.membership_change_role(
            membership=target, role=form.cleaned_data["role"], by=request.user
        ),
        success=_("Rôle modifié."),
    )
    return redirect("accounts:members")


@require_GET
@requires(can_approve_memberships, "membership.approvals")
def approvals(request: CellRequest) -> HttpResponse:
    """The president's list of memberships the platform admin made, waiting for approval."""
    rows = (
        Membership.objects.visible_to(request.membership)
        .filter(approval_pending=True, end_date__isnull=True)
        .select_related("user")
        .order_by("created_at")
    )
    return render(request, "accounts/approvals.html", {"rows": rows})


@require_POST
def member_approve(request: CellRequest, pk: int) -> HttpResponse:
    membership = request.membership
    target = get_visible_or_404(request, Membership.objects.visible_to(membership), pk=pk)
    if not can_approve_membership(membership, target):
        raise deny(request, "membership.approve", target)
    run_service(
        request,
        lambda: services.membership_approve(membership=target, by=membership),
        success=_("Appartenance validée : l'accès est ouvert."),
    )
    return redirect("accounts:approvals")


def approvals_widget(request: HttpRequest, membership: Membership) -> dict[str, Any] | None:
    """The president's count of memberships waiting for their approval, with the way to them."""
    count = (
        Membership.objects.visible_to(membership).filter(approval_pending=True, end_date__isnull=True).count()
    )
    if not count:
        return None
    return {
        "title": _("Accès à valider"),
        "template": "accounts/_widget_approvals.html",
        "count": count,
        "url": reverse("accounts:approvals"),
    }
