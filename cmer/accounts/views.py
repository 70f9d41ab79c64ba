from __future__ import annotations

import base64
import io
import secrets
import time
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from cmer.accounts import proconnect, services
from cmer.accounts.forms import (
    ChooseCellForm,
    LoginForm,
    MembershipCreateForm,
    MembershipRoleForm,
    OwnPasswordForm,
    TokenForm,
)
from cmer.accounts.http import AccountRequest, CellRequest
from cmer.accounts.models import Membership
from cmer.accounts.permissions import can_end_membership, can_manage_memberships
from cmer.core.errors import run_service
from cmer.core.policy import deny, get_visible_or_404, requires

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
    device_qs = TOTPDevice.objects.filter(user=user, confirmed=True)
    if not device_qs.exists():
        return redirect("accounts:otp_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        device = match_token(user, token)
        if device is None and _demo_token_allowed() and token == DEMO_TOKEN:
            device = device_qs.first()
        if device is not None:
            otp_login(request, device)
            services.second_factor_verified(user=user, device_kind=device.__class__.__name__.lower())
            return _after_second_factor(request)
        services.second_factor_failed(user=user)
        form.add_error("token", _("Code invalide ou expiré."))
    return render(request, "accounts/otp_verify.html", {"form": form, "demo": _demo_token_allowed()})


def _qr_data_uri(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@require_http_methods(["GET", "POST"])
def otp_setup(request: AccountRequest) -> HttpResponse:
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("accounts:otp_verify")
    key_hex = request.session.get("cmer_totp_key")
    if not key_hex:
        key_hex = secrets.token_hex(20)
        request.session["cmer_totp_key"] = key_hex
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        totp = TOTP(bytes.fromhex(key_hex), drift=1)
        totp.time = time.time()
        token = form.cleaned_data["token"]
        if len(token) == 6 and totp.verify(int(token), tolerance=1):
            device, codes = services.totp_enrol(user=user, key_hex=key_hex)
            del request.session["cmer_totp_key"]
            otp_login(request, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "just_enrolled": True})
        form.add_error("token", _("Code invalide : vérifiez l'heure de votre téléphone et réessayez."))
    device = TOTPDevice(user=user, key=key_hex, name="setup")  # unsaved: only builds the URI
    secret_b32 = base64.b32encode(bytes.fromhex(key_hex)).decode()
    return render(
        request,
        "accounts/otp_setup.html",
        {"form": form, "qr": _qr_data_uri(device.config_url), "secret": secret_b32},
    )


@require_http_methods(["GET", "POST"])
def security(request: AccountRequest) -> HttpResponse:
    """The user's own second-factor page: remaining backup codes, and regeneration."""
    if request.method == "POST":
        codes = services.backup_codes_regenerate(user=request.user)
        return render(request, "accounts/backup_codes.html", {"codes": codes})
    remaining = StaticToken.objects.filter(device__user=request.user).count()
    return render(request, "accounts/security.html", {"remaining": remaining})


@require_GET
def account(request: AccountRequest) -> HttpResponse:
    """The user's own account: who they are, their memberships, and the ways to secure it."""
    # Only one's own memberships: the user's reverse relation, never another person's.
    memberships = request.user.memberships.active().select_related("cell")
    return render(request, "accounts/account.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def password_change_view(request: AccountRequest) -> HttpResponse:
    """Change one's own password: the current one is required; the session stays signed in."""
    form = OwnPasswordForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = services.password_change(user=request.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)
        messages.success(request, _("Votre mot de passe a été changé."))
        return redirect("accounts:account")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


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
            lambda: services.charter_accept(membership=membership, charter=current, by=request.user),
            success=_("Charte acceptée. Bienvenue dans la cellule."),
        ):
            return redirect("core:dashboard")
    return render(request, "accounts/charter.html", {"charter": current, "accepted": accepted})


@requires(can_manage_memberships, "membership.list")
def members(request: CellRequest) -> HttpResponse:
    membership = request.membership
    rows = (
        Membership.objects.visible_to(membership)
        .select_related("user")
        .order_by("end_date", "role", "user__last_name")
    )
    return render(request, "accounts/members.html", {"rows": rows, "form": MembershipCreateForm()})


@require_POST
@requires(can_manage_memberships, "membership.create")
def member_add(request: CellRequest) -> HttpResponse:
    membership = request.membership
    form = MembershipCreateForm(request.POST)
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
    rows = Membership.objects.visible_to(membership).select_related("user")
    return render(request, "accounts/members.html", {"rows": rows, "form": form}, status=400)


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
    form = MembershipRoleForm(request.POST)
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
