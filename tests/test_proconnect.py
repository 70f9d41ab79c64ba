"""ProConnect sign-in against a real local OpenID provider (tests/oidc_provider.py).

Nothing of ours is mocked: the provider issues real codes and RS256-signed tokens, our client
(mozilla-django-oidc + cmer.accounts.proconnect) checks them.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from cmer.accounts.models import ProConnectIdentity
from cmer.audit.models import AuditEvent, Outcome
from tests.oidc_provider import Provider, oidc_provider_fixture, proconnect_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

ISSUER_SUB = "b6f1c2a0-proconnect-sub-0001"


def refusals() -> list[str]:
    events = AuditEvent.objects.filter(action="auth.proconnect_refused", outcome=Outcome.DENIED)
    return [e.data["reason"] for e in events.order_by("seq")]


def sign_in(client: Client, provider: Provider, *, sub: str, acr: str, email: str):  # type: ignore[no-untyped-def]
    provider.choose(sub=sub, acr=acr, email=email)
    return client.get(provider.authorize(client))


@pytest.mark.parametrize("acr", ["eidas1-mfa", "eidas2", "eidas3"])
def test_multi_factor_acr_signs_in_as_the_invited_account_second_factor_included(world, proconnect, acr):
    user = world.a.user("member")
    client = Client()
    response = sign_in(client, proconnect, sub=ISSUER_SUB, acr=acr, email=user.email.upper())
    assert response.status_code == 302 and response["Location"] == reverse("core:dashboard")
    # The second-factor middleware lets the session through: ProConnect was the second factor.
    assert client.get(reverse("core:dashboard")).status_code == 200
    identity = ProConnectIdentity.objects.get(sub=ISSUER_SUB)
    assert (identity.user, identity.issuer) == (user, proconnect.issuer)
    event = AuditEvent.objects.filter(action="auth.login_second_factor").latest("seq")
    assert event.data == {"device": "proconnect", "acr": acr}


def test_start_sends_state_nonce_and_the_multi_factor_acr(proconnect):
    response = Client().get(reverse("accounts:proconnect_start"))
    query = parse_qs(urlsplit(response["Location"]).query)
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["acr_values"] == ["eidas1-mfa eidas2 eidas3"]
    assert '"essential": true' in query["claims"][0]
    assert query["scope"] == ["openid email given_name usual_name siret idp_id"]


def test_weaker_acr_is_refused_with_a_clear_page(world, proconnect):
    client = Client()
    response = sign_in(client, proconnect, sub=ISSUER_SUB, acr="eidas1", email=world.a.user("member").email)
    assert response.status_code == 403
    assert "plusieurs facteurs" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert refusals() == ["weak_acr"]
    assert not ProConnectIdentity.objects.exists()


def test_wrong_nonce_is_refused(world, proconnect):
    client = Client()
    proconnect.choose(sub=ISSUER_SUB, acr="eidas2", email=world.a.user("member").email)
    callback = proconnect.authorize(client)
    session = client.session
    for entry in session["oidc_states"].values():
        entry["nonce"] = "n" * 48  # the token carries the nonce of the request, not this one
    session.save()
    response = client.get(callback)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusals() == ["invalid"]


def test_replayed_code_is_refused(world, proconnect):
    user = world.a.user("member")
    first = Client()
    proconnect.choose(sub=ISSUER_SUB, acr="eidas2", email=user.email)
    callback = proconnect.authorize(first)
    assert first.get(callback).status_code == 302
    # An attacker replays the same callback URL (code and state) in another browser...
    thief = Client()
    thief.cookies = first.cookies.__class__()
    assert thief.get(callback).status_code == 403
    # ...or in the same one, whose state has been used up: both refused.
    assert first.get(callback).status_code == 403
    assert refusals() == ["invalid", "invalid"]


def test_expired_code_is_refused(world, proconnect):
    client = Client()
    proconnect.code_ttl(1)
    proconnect.choose(sub=ISSUER_SUB, acr="eidas2", email=world.a.user("member").email)
    callback = proconnect.authorize(client)
    time.sleep(2.1)
    response = client.get(callback)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusals() == ["invalid"]


def test_token_signed_by_another_key_is_refused(world, proconnect, settings):
    settings.OIDC_OP_JWKS_ENDPOINT = f"{proconnect.issuer}/test/other-jwks"
    client = Client()
    response = sign_in(client, proconnect, sub=ISSUER_SUB, acr="eidas2", email=world.a.user("member").email)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusals() == ["invalid"]


def test_unknown_identity_is_refused_and_audited_without_personal_data(world, proconnect):
    client = Client()
    response = sign_in(client, proconnect, sub=ISSUER_SUB, acr="eidas3", email="inconnu@exemple.gouv.fr")
    assert response.status_code == 403
    assert "sur invitation" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.proconnect_refused")
    assert event.data == {"reason": "unknown"} and event.target_id == ""
    assert not ProConnectIdentity.objects.exists()


def test_linked_by_sub_never_by_email_again(world, proconnect):
    member, other = world.a.user("member"), world.a.user("coordinator")
    assert sign_in(Client(), proconnect, sub=ISSUER_SUB, acr="eidas2", email=member.email).status_code == 302
    # The provider now sends the other account's e-mail for the same sub: still the first account.
    client = Client()
    assert sign_in(client, proconnect, sub=ISSUER_SUB, acr="eidas2", email=other.email).status_code == 302
    assert client.session["_auth_user_id"] == str(member.pk)
    # Another sub with the e-mail of the account already linked: a collision, refused.
    client = Client()
    response = sign_in(client, proconnect, sub="another-sub", acr="eidas2", email=member.email)
    assert response.status_code == 403 and "_auth_user_id" not in client.session
    assert refusals() == ["collision"]
    assert AuditEvent.objects.get(action="auth.proconnect_refused").target_id == str(member.pk)


def test_provider_down_gives_a_clear_page(world, proconnect, settings):
    client = Client()
    proconnect.choose(sub=ISSUER_SUB, acr="eidas2", email=world.a.user("member").email)
    callback = proconnect.authorize(client)
    settings.OIDC_OP_TOKEN_ENDPOINT = "http://127.0.0.1:9/token"  # nothing listens there
    response = client.get(callback)
    assert response.status_code == 503
    assert "indisponible" in response.content.decode()
    assert refusals() == ["unavailable"]


def test_logout_ends_the_proconnect_session_too(world, proconnect):
    client = Client()
    sign_in(client, proconnect, sub=ISSUER_SUB, acr="eidas2", email=world.a.user("member").email)
    id_token = client.session["oidc_id_token"]
    response = client.post(reverse("accounts:logout"))
    target = urlsplit(response["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{proconnect.issuer}/session/end"
    assert query["id_token_hint"] == [id_token]
    assert query["post_logout_redirect_uri"][0].endswith(reverse("accounts:proconnect_logged_out"))
    assert "_auth_user_id" not in client.session
    # Browsers apply form-action to the redirects of the logout form: the provider is allowed.
    assert "form-action 'self' http://127.0.0.1:9" in response["Content-Security-Policy"]
    # The provider's own logout accepts the hint and the registered return address.
    import requests

    answer = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 200 and "logout" in answer.text.lower()
    # ProConnect comes back with our state: we check it and show the login page.
    back = client.get(reverse("accounts:proconnect_logged_out"), {"state": query["state"][0]})
    assert back.status_code == 302 and back["Location"] == reverse("accounts:login")


def test_answers_of_the_proconnect_urls_without_a_session(proconnect):
    """The matrix marks these URLs as sign-in steps; their exact answers are here."""
    client = Client()
    assert client.get(reverse("accounts:proconnect_start")).status_code == 302
    assert client.post(reverse("accounts:proconnect_start")).status_code == 405
    callback = client.get(reverse("accounts:proconnect_callback"))
    assert callback.status_code == 403  # nothing to check: refused, clear page
    assert client.post(reverse("accounts:proconnect_callback")).status_code == 405
    logged_out = client.get(reverse("accounts:proconnect_logged_out"))
    assert logged_out.status_code == 302 and logged_out["Location"] == reverse("accounts:login")
    assert reverse("accounts:proconnect_start") in client.get(reverse("accounts:login")).content.decode()


def test_off_by_default_no_url_no_button():
    from cmer.accounts import proconnect as module

    with override_settings(CMER_PROCONNECT_ENABLED=False):
        assert module.urlpatterns() == []
        page = Client().get(reverse("accounts:login")).content.decode()
        assert "ProConnect" not in page
