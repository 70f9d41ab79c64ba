"""Headers, bad input, error pages, deploy check, exposure (docs/security.md #13, #14, #16, #18, #22)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.decorators import login_not_required
from django.test import Client
from django.urls import path, reverse

import cmer.urls
from cmer.accounts.models import User
from tests.personas import PASSWORD, persona_client
from tests.production_env import production_env

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LOGIN = reverse("accounts:login")
CANARY = "canary-Zebulon-4242 SELECT secret FROM accounts_user"


# A view that fails, for the 500 page (mounted only through @pytest.mark.urls(__name__)).
@login_not_required
def boom(request):
    raise RuntimeError(CANARY)


def denied_for_staff(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied(CANARY)


urlpatterns = [
    path("test-boom/", boom, name="test_boom"),
    path("test-denied/", denied_for_staff, name="test_denied"),
    *cmer.urls.urlpatterns,
]
handler400 = cmer.urls.handler400
handler403 = cmer.urls.handler403
handler404 = cmer.urls.handler404
handler500 = cmer.urls.handler500


def assert_security_headers(response, *, authenticated: bool) -> None:
    csp = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    if authenticated:
        assert "no-store" in response["Cache-Control"]


def assert_clean_error_page(response, status: int) -> None:
    body = response.content.decode()
    assert response.status_code == status
    rid = response["X-Request-ID"]
    assert rid in body, "the correlation id is shown to the user"
    for leak in ("Traceback", 'File "', CANARY, "canary-Zebulon", "django.", "SELECT"):
        assert leak not in body, leak


# --- headers on every response (docs/security.md #13) ----------------------------------------


def test_headers_on_anonymous_responses(client):
    responses = [
        client.get(LOGIN),
        client.post(LOGIN, {"username": "x@y.fr", "password": "wrong password"}),
        client.get("/no-such-page/"),
        client.get(reverse("core:healthz")),
        client.get(reverse("core:dashboard")),  # redirect to login
    ]
    assert [r.status_code for r in responses] == [200, 200, 404, 200, 302]
    for response in responses:
        assert_security_headers(response, authenticated=False)


@pytest.mark.parametrize("persona", ["member", "coordinator", "staff", "outsider"])
def test_headers_on_authenticated_responses(world, persona):
    client = persona_client(world, persona)
    responses = [
        client.get(reverse("core:dashboard")),
        client.get(reverse("accounts:members")),
        client.get(reverse("accounts:backup_codes")),
        client.get("/no-such-page/"),
    ]
    if persona == "staff":
        responses.append(client.get("/admin/"))
    for response in responses:
        assert_security_headers(response, authenticated=True)


def test_csp_nonce_is_on_every_script_and_in_the_header(world):
    response = persona_client(world, "coordinator").get(reverse("core:dashboard"))
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    body = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", body)
    assert scripts, "DSFR scripts are on the page"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, tag
    assert " style=" not in body, "no inline style attribute (the CSP forbids them)"


def test_static_files_are_served_with_nosniff(client):
    response = client.get("/static/dsfr/dist/dsfr/dsfr.min.css")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "text/css" in response["Content-Type"]


def test_session_and_csrf_cookies_are_httponly_and_samesite(world):
    client = Client()
    client.get(LOGIN)
    client.post(LOGIN, {"username": world.a.user("member").email, "password": PASSWORD})
    session = client.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


# --- bad input: never a 500 (docs/security.md #16, issue "must show") --------------------------


def test_missing_csrf_token_gets_a_clear_403_page(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": world.a.user("member").email, "password": PASSWORD})
    assert_clean_error_page(response, 403)
    assert "Le formulaire a expiré" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "data",
    [
        {"username": "a" * 100_000 + "@test.cmer", "password": "x"},
        {"username": "member.aaa@test.cmer", "password": "p" * 100_000},
        {"username": "member.aaa@test.cmer\x00", "password": PASSWORD},
        {"username": "member.aaa@test.cmer", "password": PASSWORD + "\x00"},
        {"username": "\x00", "password": "\x00"},
        {"username": "<script>alert(1)</script>@x.fr", "password": "x"},
        {"username": "' OR 1=1 --", "password": "' OR '1'='1"},
        {"username": '=HYPERLINK("http://x")', "password": "x"},
        {"username": "", "password": ""},
        {},
    ],
)
def test_bad_login_input_gets_a_form_error_never_a_500(world, data):
    client = Client()
    response = client.post(LOGIN, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrongly_encoded_login_body_is_not_a_500(world):
    response = Client().post(
        LOGIN,
        b"username=%ff%fe%00&password=%c3%28",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in {200, 400}


def test_oversized_request_body_gets_a_400_page(world):
    response = Client().post(LOGIN, {"username": "x" * (3 * 1024 * 1024), "password": "x"})
    assert_clean_error_page(response, 400)


def test_too_many_fields_gets_a_400_page(world):
    data = {f"f{i}": "1" for i in range(3000)}
    response = Client().post(LOGIN, data)
    assert_clean_error_page(response, 400)


def test_bad_input_on_second_factor_and_cell_forms(world):
    from tests.personas import password_only_login

    client = password_only_login(Client(), world.a.user("member"))
    for token in ("\x00" * 6, "9" * 100_000, "١٢٣٤٥٦"):
        response = client.post(reverse("accounts:otp_verify"), {"token": token})
        assert response.status_code == 200 and response.context["form"].errors


# --- error pages (docs/security.md #18) ------------------------------------------------------


@pytest.mark.urls(__name__)
def test_500_page_has_correlation_id_and_no_stack_trace(client):
    client.raise_request_exception = False
    response = client.get("/test-boom/")
    assert_clean_error_page(response, 500)
    assert "Une erreur inattendue" in response.content.decode()


@pytest.mark.urls(__name__)
def test_500_page_for_a_signed_in_user(world):
    client = persona_client(world, "coordinator")
    client.raise_request_exception = False
    response = client.get("/test-boom/")
    assert_clean_error_page(response, 500)
    assert "no-store" in response["Cache-Control"]


@pytest.mark.urls(__name__)
def test_403_page_has_correlation_id_and_no_exception_text(world):
    response = persona_client(world, "member").get("/test-denied/")
    assert_clean_error_page(response, 403)


def test_404_page_has_correlation_id(world):
    for client in (Client(), persona_client(world, "member")):
        response = client.get("/situations/999999999/nothing-here/")
        assert_clean_error_page(response, 404)


def test_403_from_the_policy_is_a_clean_page(world):
    response = persona_client(world, "member").get(reverse("accounts:members"))
    assert_clean_error_page(response, 403)


# --- exposure (docs/security.md #22) ---------------------------------------------------------

EXPOSED_PATHS = [
    "/.git/HEAD",
    "/.git/config",
    "/.env",
    "/.env.example",
    "/manage.py",
    "/cmer/settings.py",
    "/static/../cmer/settings.py",
    "/static/../../.env",
    "/static/..%2fcmer%2fsettings.py",
    "/static/%2e%2e/cmer/settings.py",
    "/static/cmer/../../cmer/settings.py",
    "/static/cmer/..%5c..%5ccmer%5csettings.py",
    "/db.sqlite3",
]


@pytest.mark.parametrize("url", EXPOSED_PATHS)
def test_sensitive_files_never_served(world, url):
    for client in (Client(), persona_client(world, "coordinator")):
        for method in ("get", "head"):
            response = getattr(client, method)(url)
            assert response.status_code in {400, 404}, f"{method} {url}: {response.status_code}"
            body = response.content.decode(errors="replace")
            assert "SECRET_KEY" not in body and "ref: refs/" not in body and "[core]" not in body


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "CONNECT"])
def test_trace_and_friends_never_served(world, method):
    for client in (Client(), persona_client(world, "member")):
        for url in ("/", LOGIN, "/admin/"):
            response = client.generic(method, url)
            assert response.status_code == 405, f"{method} {url}: {response.status_code}"


# --- production settings (docs/security.md #13, #14) -----------------------------------------


def _production_env() -> dict[str, str]:
    return production_env()


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr.replace("weasyprint", "")


PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name, None) for name in (
    "DEBUG", "CMER_DEMO", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_NAME")}))
"""


def test_production_settings_harden_cookies_and_transport():
    env = {**_production_env(), "CMER_DEMO": "1"}  # the demo flag alone must not turn anything on
    result = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_SSL_REDIRECT"]
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    del env["CMER_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "CMER_SECRET_KEY must be set" in result.stderr


def test_personas_are_not_staff_by_accident(world):
    """The header/matrix tests above rely on exactly one platform admin among the personas."""
    assert list(User.objects.filter(is_staff=True).values_list("email", flat=True)) == [world.staff.email]


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", ["CMER_FIELD_KEYS", "CMER_AUDIT_KEY", "CMER_BLIND_INDEX_KEY"])
def test_production_refuses_to_start_without_each_data_key(name):
    """A key derived from the secret key would die with it: production must bring its own."""
    env = _production_env()
    del env[name]
    for args in (("check", "--deploy"), ("shell", "-c", "import cmer.wsgi")):
        result = _manage(env, *args)
        assert result.returncode == 1, args
        assert f"ImproperlyConfigured: {name} must be set when CMER_DEBUG is off" in result.stderr, args


def test_deploy_check_flags_derived_keys_even_with_debug_on():
    env = {k: v for k, v in _production_env().items() if k not in {"CMER_FIELD_KEYS", "CMER_AUDIT_KEY"}}
    env["CMER_DEBUG"] = "1"
    result = _manage(env, "check", "--deploy")
    assert result.returncode == 1
    assert "(cmer.E001) CMER_FIELD_KEYS is not set" in result.stderr
    assert "(cmer.E001) CMER_AUDIT_KEY is not set" in result.stderr
    assert "CMER_BLIND_INDEX_KEY" not in result.stderr


def test_demo_mode_still_starts_without_any_key():
    """`make demo`: DEBUG and demo on, no key at all."""
    env = {k: v for k, v in _production_env().items() if not k.startswith("CMER_")}
    env.update(CMER_DEBUG="1", CMER_DEMO="1")
    result = _manage(env, "check")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("value", ["ture", "", "2", "oui", "enabled"])
def test_production_refuses_a_boolean_setting_it_cannot_read(value):
    env = {**_production_env(), "CMER_SSL_REDIRECT": value}
    result = _manage(env, "check")
    assert result.returncode == 1
    assert f"ImproperlyConfigured: CMER_SSL_REDIRECT={value!r} is not a yes/no value" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        (" Yes ", True),
        ("on", True),
        ("0", False),
        ("False", False),
        ("NO", False),
        ("off", False),
    ],
)
def test_boolean_settings_read_the_eight_accepted_words(monkeypatch, value, expected):
    from django.core.exceptions import ImproperlyConfigured

    from cmer.settings import env_bool

    monkeypatch.setenv("CMER_SOME_FLAG", value)
    assert env_bool("CMER_SOME_FLAG", default=not expected) is expected
    monkeypatch.setenv("CMER_SOME_FLAG", value + "x")
    with pytest.raises(ImproperlyConfigured, match="CMER_SOME_FLAG="):
        env_bool("CMER_SOME_FLAG")


def test_a_number_setting_it_cannot_read_is_refused_by_name():
    result = _manage({**_production_env(), "CMER_HSTS_SECONDS": "1 year"}, "check")
    assert result.returncode == 1
    assert "ImproperlyConfigured: CMER_HSTS_SECONDS='1 year' is not a whole number." in result.stderr


PRINT_TESTING = "import django; django.setup(); from django.conf import settings; print(settings.TESTING)"


def test_testing_mode_is_an_explicit_switch_not_a_guess():
    """Importing pytest (a tool in the same virtualenv) must not put a server in test mode."""
    env = {k: v for k, v in _production_env().items() if k != "CMER_TESTING"}
    env["CMER_DEBUG"] = "1"
    code = f"import pytest; {PRINT_TESTING}"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr
    env["CMER_TESTING"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "True", result.stderr


def test_this_test_run_is_in_testing_mode_by_its_configuration(settings):
    assert os.environ["CMER_TESTING"] == "1" and settings.TESTING is True


# --- demo mode shows the project's error pages, not DEBUG's (issue 13, item 7) -------------------


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("demo", "ours"), [(True, True), (False, False)])
def test_demo_mode_shows_our_404_and_500_pages_not_the_debug_ones(world, settings, demo, ours):
    settings.DEBUG = True
    settings.CMER_DEMO = demo
    client = persona_client(world, "member")
    client.raise_request_exception = False
    missing = client.get("/adresse-qui-n-existe-pas/")
    crash = client.get("/test-boom/")
    assert missing.status_code == 404 and crash.status_code == 500
    if ours:
        assert_clean_error_page(missing, 404)
        assert_clean_error_page(crash, 500)
        assert "Page introuvable" in missing.content.decode()
        assert "URL patterns" not in missing.content.decode() and "URLconf" not in missing.content.decode()
    else:  # a developer's DEBUG keeps Django's pages (the control: the test can tell them apart)
        assert "Django tried these URL patterns" in missing.content.decode()
        assert "Traceback" in crash.content.decode()
