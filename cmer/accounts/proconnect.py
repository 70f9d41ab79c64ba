"""ProConnect sign-in (OpenID Connect, authorization code flow) on top of mozilla-django-oidc.

The library does the protocol: state and nonce generated, kept in the session and checked, the
code exchanged, the ID token's signature verified against the provider's JWKS. We add what
ProConnect and CMER need: the issuer, audience and expiry checked, the multi-factor acr required,
access only to accounts that already exist (linked by e-mail once, then by issuer + sub), a clear
refusal page for every failure, and the ProConnect session ended at logout.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from cmer.accounts import services
from cmer.accounts.models import ProConnectIdentity, User
from cmer.accounts.services import ProConnectRefused

# What the refusal page says for each reason code (the code alone goes to the audit trail).
REFUSALS: dict[str, tuple[Any, Any, int]] = {
    "weak_acr": (
        _("Une authentification à plusieurs facteurs est nécessaire"),
        _(
            "Votre connexion ProConnect n'a pas utilisé de méthode d'authentification à plusieurs "
            "facteurs. CMER exige une méthode multifacteur (par exemple une application "
            "d'authentification ou une clé d'accès) : configurez-en une auprès de votre "
            "fournisseur d'identité ou de ProConnect, puis reconnectez-vous."
        ),
        403,
    ),
    "unknown": (
        _("Aucun compte CMER pour cette identité"),
        _(
            "L'accès à CMER se fait uniquement sur invitation. Aucun compte actif ne correspond à "
            "votre identité ProConnect : demandez au président ou au coordonnateur de votre "
            "cellule de vous inviter avec votre adresse électronique professionnelle."
        ),
        403,
    ),
    "collision": (
        _("Ce compte est déjà lié à une autre identité ProConnect"),
        _(
            "Le compte CMER qui porte cette adresse électronique est déjà associé à une autre "
            "identité ProConnect. Par sécurité, la connexion est refusée : contactez le "
            "coordonnateur de votre cellule."
        ),
        403,
    ),
    "invalid": (
        _("La réponse de ProConnect n'a pas pu être vérifiée"),
        _(
            "Par sécurité, la connexion est refusée (réponse expirée, déjà utilisée ou dont la "
            "signature ne correspond pas). Recommencez depuis la page de connexion."
        ),
        403,
    ),
    "unavailable": (
        _("ProConnect ne répond pas"),
        _(
            "Le service ProConnect est momentanément indisponible. Réessayez dans quelques "
            "minutes, ou connectez-vous avec votre mot de passe et votre second facteur."
        ),
        503,
    ),
}


def _audience_ok(aud: Any) -> bool:
    client_id = settings.OIDC_RP_CLIENT_ID
    return aud == client_id or (isinstance(aud, list) and client_id in aud)


class ProConnectBackend(OIDCAuthenticationBackend):
    """Authenticates a ProConnect identity to the CMER account it is linked (or linkable) to."""

    def verify_token(self, token: str, **kwargs: Any) -> Any:
        # The library checks the signature against the JWKS and the nonce; PyJWT checks `exp`.
        payload = super().verify_token(token, **kwargs)
        if payload.get("iss") != settings.CMER_PROCONNECT_ISSUER or not _audience_ok(payload.get("aud")):
            raise SuspiciousOperation("ProConnect token issuer or audience mismatch.")
        return payload

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        acr = payload.get("acr")
        if acr not in settings.CMER_PROCONNECT_ACR_VALUES:
            raise ProConnectRefused("weak_acr")
        claims = self.get_userinfo(access_token, id_token, payload)
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("ProConnect userinfo is about another subject.")
        identity = services.proconnect_identity_for(
            issuer=payload["iss"], sub=payload["sub"], email=str(claims.get("email") or "")
        )
        user = identity.user
        # Carried to the callback view, which marks the session's second factor with it.
        user.cmer_proconnect = (identity, acr)
        return user

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError("ProConnect identities are resolved by issuer + sub.")


class ProConnectStart(OIDCAuthenticationRequestView):
    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        # Both forms ProConnect reads: acr_values, and an essential acr in the claims parameter.
        acr = settings.CMER_PROCONNECT_ACR_VALUES
        return {
            "acr_values": " ".join(acr),
            "claims": json.dumps({"id_token": {"acr": {"essential": True, "values": acr}}}),
        }


def refusal(request: HttpRequest, code: str, *, user_id: int | None = None) -> HttpResponse:
    services.proconnect_refused(reason=code, user_id=user_id)
    title, text, status = REFUSALS[code]
    return render(request, "accounts/proconnect_refused.html", {"title": title, "text": text}, status=status)


class ProConnectCallback(OIDCAuthenticationCallbackView):
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except ProConnectRefused as refused:
            return refusal(request, refused.reason, user_id=refused.user_id)
        except requests.HTTPError:
            # The token endpoint refused the code: replayed, expired, or not ours.
            return refusal(request, "invalid")
        except requests.RequestException:
            return refusal(request, "unavailable")
        except (SuspiciousOperation, jwt.PyJWTError, KeyError, ValueError):
            return refusal(request, "invalid")

    def login_failure(self) -> HttpResponse:
        return refusal(self.request, "invalid")

    def login_success(self) -> HttpResponse:
        identity, acr = self.user.cmer_proconnect
        super().login_success()  # django's login (skipped by the library for the same user)
        # A new session id whatever came before: nothing from the anonymous session carries over.
        self.request.session.cycle_key()
        otp_login(self.request, identity)
        self.request.session["cmer_login_at"] = time.time()
        services.proconnect_signed_in(identity=identity, acr=acr)
        return redirect(self.request.session.pop("oidc_login_next", None) or reverse("core:dashboard"))


def end_session_url(request: HttpRequest, id_token: str) -> str:
    """Where to send the browser after our logout so that the ProConnect session ends too."""
    state = secrets.token_urlsafe(36)
    request.session["cmer_proconnect_logout_state"] = state
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": state,
            "post_logout_redirect_uri": settings.CMER_SITE_URL + reverse("accounts:proconnect_logged_out"),
        }
    )
    return f"{settings.CMER_PROCONNECT_END_SESSION_ENDPOINT}?{query}"


@login_not_required
@require_GET
def logged_out(request: HttpRequest) -> HttpResponse:
    """ProConnect's return after its logout; the state is checked and forgotten either way."""
    expected = request.session.pop("cmer_proconnect_logout_state", None)
    if expected and secrets.compare_digest(expected, request.GET.get("state", "")):
        messages.info(request, _("Vous êtes aussi déconnecté de ProConnect."))
    return redirect("accounts:login")


def urlpatterns() -> list[Any]:
    """The ProConnect URLs, only when the installation has turned ProConnect on."""
    if not settings.CMER_PROCONNECT_ENABLED:
        return []
    return [
        path("connexion/proconnect/", login_not_required(ProConnectStart.as_view()), name="proconnect_start"),
        path(
            "connexion/proconnect/retour/",
            login_not_required(require_GET(ProConnectCallback.as_view())),
            name="proconnect_callback",
        ),
        path("deconnexion/proconnect/", logged_out, name="proconnect_logged_out"),
    ]


__all__ = ["ProConnectBackend", "ProConnectIdentity", "urlpatterns"]
