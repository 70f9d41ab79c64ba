"""Passkeys (WebAuthn) as a second factor, on django-otp-webauthn (docs/security.md, "Passkeys").

The library does the ceremonies (challenges kept in the session, signatures, origins and relying
party checked by py_webauthn); these subclasses of its JSON views add what CMER requires:

- registration only for a person with no factor yet (first enrolment, right after the password)
  or after a fresh re-authentication (password and a current factor, `REAUTH_KEY`);
- after a passkey verification, the session id is renewed, as after a TOTP code;
- a passkey used by a session already verified is a re-confirmation for a security change
  (`CONFIRMED_KEY`, single use), not a new sign-in;
- every success and every refusal is audited, refusals answered in French with a reason code.

The browser side is the library's own scripts, served from our static files
(cmer/templates/accounts/_passkey_scripts.html), translated by cmer/static/accounts/passkeys.js.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.middleware import csrf
from django.urls import reverse
from django.utils.html import format_html, json_script
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from cmer.accounts import services
from cmer.accounts.models import User

# A re-authentication opens a passkey registration for this long, once.
REAUTH_KEY = "cmer_passkey_reauth_at"
# A passkey assertion made by a verified session counts as the "current factor" of one
# re-authentication, for this long.
CONFIRMED_KEY = "cmer_passkey_confirmed_at"
CONFIRMED_DEVICE_KEY = "cmer_passkey_confirmed_device"
FRESH_SECONDS = 5 * 60

# The messages the person reads, by the library's reason codes (its own are in English).
MESSAGES = {
    "wrong_origin": gettext_lazy(
        "Clé d'accès refusée : elle a répondu pour un autre site que celui-ci. Vérifiez l'adresse "
        "dans la barre du navigateur : ne vous connectez que sur l'adresse habituelle de CMER."
    ),
    "reauth_required": gettext_lazy(
        "Confirmez d'abord votre mot de passe et un code pour ajouter une clé d'accès."
    ),
    "user_not_verified": gettext_lazy(
        "Validez d'abord votre second facteur actuel pour ajouter une clé d'accès."
    ),
    "credential_not_found": gettext_lazy("Cette clé d'accès n'est pas enregistrée sur votre compte."),
    "credential_user_mismatch": gettext_lazy("Cette clé d'accès n'est pas enregistrée sur votre compte."),
    "invalid_state": gettext_lazy("La demande a expiré : recommencez."),
}
DEFAULT_MESSAGE = gettext_lazy("Clé d'accès refusée : la vérification a échoué. Recommencez.")


class WrongOrigin(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "wrong_origin"


class ReauthRequired(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_code = "reauth_required"


def _client_origin(data: Any) -> str | None:
    """The origin the browser wrote in clientDataJSON (None if unreadable: the library refuses it)."""
    try:
        raw = data["response"]["clientDataJSON"]
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        origin = json.loads(decoded)["origin"]
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None
    return origin if isinstance(origin, str) else None


def _check_origin(data: Any) -> None:
    """Refuse, with its own reason, an answer made for another site (py_webauthn checks it too)."""
    origin = _client_origin(data)
    if origin is not None and origin not in settings.OTP_WEBAUTHN_ALLOWED_ORIGINS:
        raise WrongOrigin()


def _fresh(request: HttpRequest, key: str) -> bool:
    at = request.session.get(key)
    return isinstance(at, int | float) and 0 <= time.time() - at <= FRESH_SECONDS


def open_registration(request: HttpRequest) -> None:
    """Called after a successful re-authentication: one passkey may now be registered."""
    request.session[REAUTH_KEY] = time.time()


def has_confirmation(request: HttpRequest) -> bool:
    return _fresh(request, CONFIRMED_KEY)


def take_confirmation(request: HttpRequest) -> WebAuthnCredential | None:
    """The passkey of a fresh re-confirmation in the session, if any; it is used up either way."""
    fresh = _fresh(request, CONFIRMED_KEY)
    request.session.pop(CONFIRMED_KEY, None)
    device_id = request.session.pop(CONFIRMED_DEVICE_KEY, None)
    if not fresh:
        return None
    return WebAuthnCredential.objects.filter(pk=device_id, user_id=request.user.pk, confirmed=True).first()


class _Audited:
    """French answers and an audit event for every refused ceremony."""

    step = ""
    request: HttpRequest

    def handle_exception(self, exc: Exception) -> JsonResponse:
        if not isinstance(exc, exceptions.OTPWebAuthnApiError):
            raise exc
        user = self.request.user if self.request.user.is_authenticated else None
        services.passkey_refused(user=user, step=self.step, reason=exc.code)
        message = MESSAGES.get(exc.code, DEFAULT_MESSAGE)
        return JsonResponse({"detail": str(message), "code": exc.code}, status=exc.status_code)


class RegistrationMixin(_Audited):
    step = "enrol"

    def check_can_register(self) -> None:
        user = self.request.user
        first = not services.has_second_factor(user)  # type: ignore[arg-type]
        if not first and not _fresh(self.request, REAUTH_KEY):
            raise ReauthRequired()


class RegistrationBegin(RegistrationMixin, BeginCredentialRegistrationView):
    pass


class RegistrationComplete(RegistrationMixin, CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        request = self.request
        user: User = request.user  # type: ignore[assignment]
        state = self.get_state()
        _check_origin(request.data)  # type: ignore[attr-defined]
        first = not services.has_second_factor(user)
        with transaction.atomic(), rewrite_exceptions(logger=None):
            device = self.get_helper().register_complete(
                user=user,
                state=state,
                data=request.data,  # type: ignore[attr-defined]
            )
            device.name = services.passkey_name()
            device.save(update_fields=["name"])
            services.passkey_enrolled(user=user, device=device, first=first)
        request.session.pop(REAUTH_KEY, None)
        if first:
            # The first factor of this account: it verifies the session, like a first TOTP code.
            otp_login(request, device)
            request.session.cycle_key()
            target = reverse("accounts:passkey_enrolled")
        else:
            target = reverse("accounts:backup_codes")
        return JsonResponse({"id": device.pk, "redirect_url": target})


class _AuthenticationMixin(_Audited):
    step = "verify"

    def check_can_authenticate(self) -> None:
        # A second factor only: the password came first (no passwordless sign-in).
        if not self.request.user.is_authenticated:
            raise exceptions.PasswordlessLoginDisabled()


class AuthenticationBegin(_AuthenticationMixin, BeginCredentialAuthenticationView):
    pass


class AuthenticationComplete(_AuthenticationMixin, CompleteCredentialAuthenticationView):
    confirming = False

    def post(self, *args: Any, **kwargs: Any) -> JsonResponse:
        # The library's steps, with the origin checked first for a clear refusal. The challenge
        # is taken out of the session before anything else: a refused answer cannot be retried.
        user = self.get_user()
        state = self.get_state()
        _check_origin(self.request.data)  # type: ignore[attr-defined]
        with rewrite_exceptions(logger=None):
            device = self.get_helper().authenticate_complete(
                user=user,
                state=state,
                data=self.request.data,  # type: ignore[attr-defined]
            )
        self.check_device_usable(device)
        self.complete_auth(device)
        return JsonResponse(self.get_success_data(device))

    def complete_auth(self, device: WebAuthnCredential) -> None:
        request = self.request
        user: User = request.user  # type: ignore[assignment]
        if user.is_verified():  # type: ignore[attr-defined]  # set by django-otp per request
            # A verified session asking again: the "current factor" of a security change.
            request.session[CONFIRMED_KEY] = time.time()
            request.session[CONFIRMED_DEVICE_KEY] = device.pk
            self.confirming = True
            return
        otp_login(request, device)
        # A new session id once the second factor is in: an id seen before it is worth nothing.
        request.session.cycle_key()
        services.second_factor_verified(user=user, device_kind="passkey")

    def get_success_url(self) -> str:
        if self.confirming:
            return self.get_redirect_url() or reverse("accounts:backup_codes")
        return self.request.session.pop("cmer_next", None) or reverse("core:dashboard")


def _json_tag(element_id: str, value: Any, nonce: str) -> str:
    """Django's json_script, with the page's CSP nonce like every other script element."""
    tag = json_script(value, element_id)
    # Safe: json_script's own escaped output, plus the nonce attribute escaped by format_html.
    nonced = tag.replace("<script ", format_html('<script nonce="{}" ', nonce), 1)
    return mark_safe(nonced)  # noqa: S308  # nosec B308 B703


def script_context(request: HttpRequest) -> dict[str, Any]:
    """The data elements the passkey scripts read (cmer/templates/accounts/_passkey_data.html)."""
    nonce = str(getattr(request, "csp_nonce", ""))
    return {
        "passkey_data": _json_tag("otp_webauthn_config", _script_config(request), nonce)
        + _json_tag("cmer-passkey-messages", script_messages(), nonce)
    }


def _script_config(request: HttpRequest) -> dict[str, Any]:
    """What the library's scripts read from the page (#otp_webauthn_config): our URLs, CSRF token."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": csrf.get_token(request),
        "beginAuthenticationUrl": reverse("accounts:passkey_auth_begin"),
        "completeAuthenticationUrl": reverse("accounts:passkey_auth_complete"),
        "beginRegistrationUrl": reverse("accounts:passkey_register_begin"),
        "completeRegistrationUrl": reverse("accounts:passkey_register_complete"),
    }


# The library's script messages (English msgids in its code), in French through gettext.
SCRIPT_MESSAGES = {
    "Register a Passkey": gettext_lazy("Enregistrer une clé d'accès"),
    "Registering...": gettext_lazy("Enregistrement…"),
    "Registration failed. Unable to fetch registration options from server.": gettext_lazy(
        "Enregistrement impossible : le serveur n'a pas répondu."
    ),
    "Registration aborted.": gettext_lazy("Enregistrement annulé."),
    "Registration failed. You most likely already have a Passkey registered for this site.": gettext_lazy(
        "Enregistrement impossible : cette clé est sans doute déjà enregistrée pour ce site."
    ),
    "Registration aborted or not allowed.": gettext_lazy("Enregistrement annulé ou refusé."),
    "Registration failed. A technical problem occurred that prevents you from registering a Passkey "
    "for this site.": gettext_lazy(
        "Enregistrement impossible : un problème technique empêche d'enregistrer une clé d'accès pour ce site."
    ),
    "Registration failed. An unknown error occurred.": gettext_lazy(
        "Enregistrement impossible : erreur inconnue."
    ),
    "Finishing registration...": gettext_lazy("Finalisation de l'enregistrement…"),
    "Registration failed. The server was unable to verify this passkey.": gettext_lazy(
        "Enregistrement refusé : le serveur n'a pas pu vérifier cette clé d'accès."
    ),
    "Registration failed. A server error occurred.": gettext_lazy(
        "Enregistrement impossible : erreur du serveur."
    ),
    "Registration successful!": gettext_lazy("Clé d'accès enregistrée."),
    "An error occurred during registration.": gettext_lazy("Erreur pendant l'enregistrement."),
    "Verify with Passkey": gettext_lazy("Utiliser une clé d'accès"),
    "Verifying...": gettext_lazy("Vérification…"),
    "Verification failed. Could not retrieve parameters from the server.": gettext_lazy(
        "Vérification impossible : le serveur n'a pas répondu."
    ),
    "Verification aborted.": gettext_lazy("Vérification annulée."),
    "Verification canceled or not allowed.": gettext_lazy("Vérification annulée ou refusée."),
    "Verification failed. An unknown error occurred.": gettext_lazy(
        "Vérification impossible : erreur inconnue."
    ),
    "Finishing verification...": gettext_lazy("Finalisation de la vérification…"),
    "Verification failed. An unknown server error occurred.": gettext_lazy(
        "Vérification impossible : erreur du serveur."
    ),
    "Verification successful!": gettext_lazy("Clé d'accès vérifiée."),
    "An error occurred during verification.": gettext_lazy("Erreur pendant la vérification."),
    "Verification failed. A server error occurred.": gettext_lazy(
        "Vérification impossible : erreur du serveur."
    ),
}


def script_messages() -> dict[str, str]:
    return {english: str(french) for english, french in SCRIPT_MESSAGES.items()}
