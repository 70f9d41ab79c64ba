"""CMER settings: one file, every value from the environment, safe defaults.

Production is the default posture (DEBUG off, secure cookies); development and tests opt out
through environment variables (see .env.example).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting; a typo (`ture`) stops the start instead of silently meaning "off"."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value: use true/false, 1/0, yes/no or on/off."
    )


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number.") from None


DEBUG = env_bool("CMER_DEBUG")
# Demo shortcuts (a fixed second-factor code) only exist when BOTH flags are on.
CMER_DEMO = env_bool("CMER_DEMO")
# Set by the test runner only (tests/settings.py, selected in pyproject.toml): never inferred.
TESTING = env_bool("CMER_TESTING")

# Public (it is in this file): development, tests and the bench's generated data only.
DEVELOPMENT_SECRET_KEY = "insecure-development-key-never-use-in-production-0123456789abcdef"  # nosec B105
SECRET_KEY = env("CMER_SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = DEVELOPMENT_SECRET_KEY
    else:
        raise ImproperlyConfigured("CMER_SECRET_KEY must be set when CMER_DEBUG is off.")

# Keys for the application-level encryption of personal fields and for the keyed audit chain.
# Development and tests derive them from SECRET_KEY so that `make demo` works without setup.
# Production refuses to start without them: a derived key would tie every encrypted field and
# the audit chain to SECRET_KEY, and rotating that key would make them unreadable/unverifiable.
CMER_DERIVED_KEYS: list[str] = []


def data_key(name: str, derived: str) -> str:
    value = env(name)
    if value:
        return value
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            f"{name} must be set when CMER_DEBUG is off (see .env.example and docs/deployment.md)."
        )
    CMER_DERIVED_KEYS.append(name)
    return derived


CMER_AUDIT_KEY = data_key("CMER_AUDIT_KEY", f"audit:{SECRET_KEY}")
CMER_FIELD_KEYS = data_key("CMER_FIELD_KEYS", f"k1:{SECRET_KEY}")  # "id:secret,id:secret", first is current
CMER_BLIND_INDEX_KEY = data_key("CMER_BLIND_INDEX_KEY", f"bidx:{SECRET_KEY}")
# Audit trail: checkpoints live outside the database so that truncating or replacing the table is
# detected (verify_audit); events older than the retention are purged (purge_audit).
CMER_AUDIT_CHECKPOINT_PATH = env(
    "CMER_AUDIT_CHECKPOINT_PATH", str(BASE_DIR / "var" / "audit-checkpoints.jsonl")
)
CMER_AUDIT_RETENTION_DAYS = env_int("CMER_AUDIT_RETENTION_DAYS", 365)
# Readiness (/sante/, manage.py doctor): the oldest acceptable last run, in seconds. The worker
# heartbeat is enqueued every 5 minutes; purge and checkpoint run daily (a day and a half of slack).
CMER_HEALTH_WORKER_MAX_AGE = env_int("CMER_HEALTH_WORKER_MAX_AGE", 15 * 60)
CMER_HEALTH_PURGE_MAX_AGE = env_int("CMER_HEALTH_PURGE_MAX_AGE", 36 * 3600)
CMER_HEALTH_CHECKPOINT_MAX_AGE = env_int("CMER_HEALTH_CHECKPOINT_MAX_AGE", 36 * 3600)

ALLOWED_HOSTS = [h for h in env("CMER_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CMER_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "cmer.core.static_files.StaticFilesConfig",  # django.contrib.staticfiles, minus unused files
    "widget_tweaks",
    "dsfr",
    "django_otp",
    # Passkeys (WebAuthn) as a second factor: public keys only, never a secret (docs/security.md).
    "django_otp_webauthn",
    "axes",
    "csp",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "cmer.core",
    "cmer.accounts",
    "cmer.audit",
    "cmer.notifications",
    "cmer.training",
    "cmer.referrals",
    "cmer.cases",
    "cmer.support",
    "cmer.meetings",
    "cmer.exchange",
    "cmer.privacy",
    "cmer.stats",
    "cmer.scale",
]

MIDDLEWARE = [
    "cmer.core.middleware.request_id",
    "cmer.core.middleware.robots_noindex",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Header middlewares sit outside the guards below, so their redirects get the headers too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cmer.core.middleware.force_csp_nonce",
    "cmer.core.middleware.no_store_when_authenticated",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "cmer.core.middleware.session_limits",
    "cmer.accounts.middleware.require_second_factor",
    "cmer.accounts.middleware.current_cell",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Demo mode only: our 404/500 pages instead of DEBUG's (URL list, traceback). Keep it last.
    "cmer.core.error_pages.demo_error_pages",
]

ROOT_URLCONF = "cmer.urls"
WSGI_APPLICATION = "cmer.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cmer" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "cmer.core.context_processors.shell",
            ],
            # French dates everywhere without a {% load %} in each template (cmer/core/french.py).
            "builtins": ["cmer.core.templatetags.french"],
        },
    },
]
# django-dsfr: mark optional fields rather than required ones, as the DSFR now recommends.
DSFR_MARK_OPTIONAL_FIELDS = True

# Database: an embedded SQLite file by default, PostgreSQL (or another) through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{env('CMER_SQLITE_PATH', str(BASE_DIR / 'db.sqlite3'))}",
        # Persistent connections in production: a new PostgreSQL connection per request was the
        # largest share of a light page (bench/run.py, CONN: p50 0.32-0.42x with them). Development and
        # the test runner keep one per request (live servers' threads must not hold the test
        # database open).
        conn_max_age=env_int("CMER_CONN_MAX_AGE", 0 if (DEBUG or TESTING) else 60),
        # A persistent connection outlives a database restart: check it before each request
        # reuses it, so the first request after the restart is served, not answered 500.
        conn_health_checks=True,
    )
}
# A streaming replica, if any: the statistics and the DPO's audit search read from it
# (cmer/core/replica.py); tests that set the variable use the test database through it.
if env("CMER_REPLICA_DATABASE_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(
            env("CMER_REPLICA_DATABASE_URL"),
            conn_max_age=DATABASES["default"]["CONN_MAX_AGE"],
            conn_health_checks=True,
        ),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["cmer.core.replica.ReplicaRouter"]
# Bench-only pages (docs/performance.md): never on unless CMER_BENCH=1; `check --deploy` refuses it.
CMER_BENCH = env_bool("CMER_BENCH")
# And only with the public development keys: data encrypted under them can only be fake, and an
# installation's real keys make the switch refuse to start instead of mounting the bench pages.
public_keys = tuple(f"{prefix}{DEVELOPMENT_SECRET_KEY}" for prefix in ("", "audit:", "k1:", "bidx:"))
if CMER_BENCH and public_keys != (SECRET_KEY, CMER_AUDIT_KEY, CMER_FIELD_KEYS, CMER_BLIND_INDEX_KEY):
    raise ImproperlyConfigured(
        "CMER_BENCH is for bench/run.py on generated data: it runs only with the public "
        "development keys, never with an installation's own keys."
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so the audit chain head read inside a
        # transaction cannot be overtaken by another writer.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# ANSSI 2021: length matters, not composition rules; no forced rotation.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A password reset link is valid one hour, and once (the password hash changes).
PASSWORD_RESET_TIMEOUT = 3600
# The forgotten-password form sends at most this many e-mails per account, and accepts this many
# requests per client address, in an hour (a town hall's agents share one address behind NAT).
CMER_PASSWORD_RESET_PER_ADDRESS = env_int("CMER_PASSWORD_RESET_PER_ADDRESS", 3)
CMER_PASSWORD_RESET_PER_IP = env_int("CMER_PASSWORD_RESET_PER_IP", 20)
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"

# Brute force: 5 consecutive failures per account lock it for 15 minutes (docs/security.md #11).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cmer.accounts.views.locked_out"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Lockout is per account on purpose: a town hall's agents share one public IP behind NAT, and an
# IP lockout would let one attacker lock out the whole cell. Axes warns about that choice.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Sessions (docs/security.md #12): 15 minutes idle, 12 hours absolute.
SESSION_COOKIE_AGE = 15 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CMER_SESSION_ABSOLUTE_SECONDS = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "cmer.core.views.csrf_failure"

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind our nginx (deploy/nginx/cmer.conf), which replaces X-Forwarded-Proto and X-Real-IP: the
# client's address is X-Real-IP (audit events, the password-reset limit), not nginx's loopback.
CMER_BEHIND_PROXY = env_bool("CMER_BEHIND_PROXY")
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("CMER_SSL_REDIRECT", True)
    # Probes ask over plain HTTP on the loopback (deploy/, docs/deployment.md); no data there.
    SECURE_REDIRECT_EXEMPT = [r"^sante/$", r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("CMER_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if CMER_BEHIND_PROXY else None

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # The DSFR script sets one inline style attribute; styles only, never scripts.
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# Upload and request size limits: oversize input gets a clear error, not a crash.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# French only until an English catalogue exists: negotiating from Accept-Language would mix
# English framework strings into French pages.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("Anglais"))]
# Messages are written in French (the msgids); `makemessages -l en` puts a catalogue here. The
# French one holds only the plural messages, for the French rule (0 and 1 take the singular):
# `manage.py plural_catalogue` writes it (docs/conventions.md, « Views and templates »).
LOCALE_PATHS = [BASE_DIR / "cmer" / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("CMER_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "cmer" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("CMER_STATIC_MANIFEST", not (DEBUG or TESTING))
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# Development and tests look static files up per request instead of indexing the ~1,800 app files
# each time a handler is built (every test client builds one: it was three quarters of the suite).
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Exchange with the State and e-mail notifications (issue #4).
CMER_FEEDBACK_DELAY_DAYS = env_int("CMER_FEEDBACK_DELAY_DAYS", 30)
# An urgent signalement (danger imminent) is pre-qualified within hours (docs/rules.md §3.1).
CMER_URGENT_PREQUALIFICATION_HOURS = env_int("CMER_URGENT_PREQUALIFICATION_HOURS", 24)
CMER_SITE_URL = env("CMER_SITE_URL", "http://127.0.0.1:8000").rstrip("/")


def _webauthn_origin(site_url: str) -> tuple[str, str]:
    """The passkeys' relying party (a domain name) and origin, from the site's address.

    WebAuthn refuses an IP address as relying party: a site addressed by IP (the development
    default, 127.0.0.1) gets `localhost` on the same port, where browsers allow passkeys over HTTP.
    """
    parts = urlsplit(site_url)
    host = parts.hostname or "localhost"
    if host.replace(".", "").isdigit() or ":" in host:
        host = "localhost"
    port = f":{parts.port}" if parts.port else ""
    return host, f"{parts.scheme}://{host}{port}"


# Passkeys (django-otp-webauthn, docs/security.md "Passkeys"): the relying party ID is the domain a
# passkey is bound to (changing it later orphans every passkey); origins are the exact addresses
# the browser may show. Both default to CMER_SITE_URL's.
_rp_id, _rp_origin = _webauthn_origin(CMER_SITE_URL)
OTP_WEBAUTHN_RP_ID = env("CMER_WEBAUTHN_RP_ID", _rp_id)
OTP_WEBAUTHN_RP_NAME = "CMER"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    o.strip().rstrip("/") for o in env("CMER_WEBAUTHN_ORIGINS", _rp_origin).split(",") if o.strip()
]
# A passkey is a second factor here, after the password: never a way in on its own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
# Errors are answered in French and audited by our views (cmer/accounts/passkeys.py); the
# library's own logging of each refused ceremony, with its traceback, is off.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""
# A séance opens on its day; this many hours of tolerance either side of that day (docs/rules.md §5).
CMER_MEETING_OPEN_TOLERANCE_HOURS = env_int("CMER_MEETING_OPEN_TOLERANCE_HOURS", 2)
# A worker that claimed an e-mail and died is taken over after this many seconds (at least once).
CMER_EMAIL_CLAIM_SECONDS = env_int("CMER_EMAIL_CLAIM_SECONDS", 300)
EMAIL_TIMEOUT = env_int("CMER_EMAIL_TIMEOUT", 20)

EMAIL_BACKEND = env("CMER_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("CMER_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("CMER_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env("CMER_FROM_EMAIL", "cmer@localhost")

# Presentation: the State brand block and the Marianne font are reserved to State services.
CMER_STATE_BRAND = env_bool("CMER_STATE_BRAND")
CMER_OPERATOR_NAME = env("CMER_OPERATOR_NAME", "Commune")
CMER_SITE_TITLE = "CMER"

# Who answers for the service, shown on the public pages, the information letter and the access
# extract (docs/rules.md §13). Each deployment sets its own; the defaults say "to be completed".
CMER_CONTROLLER = env("CMER_CONTROLLER", CMER_OPERATOR_NAME)
CMER_CONTROLLER_ADDRESS = env("CMER_CONTROLLER_ADDRESS", "Hôtel de ville (adresse à compléter)")
CMER_DPO_CONTACT = env("CMER_DPO_CONTACT", "Délégué à la protection des données (contact à compléter)")
CMER_PUBLICATION_DIRECTOR = env("CMER_PUBLICATION_DIRECTOR", "Le maire (nom à compléter)")
CMER_HOST = env("CMER_HOST", "Hébergeur (nom et adresse à compléter)")
CMER_ACCESSIBILITY_CONTACT = env("CMER_ACCESSIBILITY_CONTACT", CMER_DPO_CONTACT)
# Days after a case opens within which the person's information must be decided (docs/rules.md §13).
CMER_INFORMATION_DAYS = env_int("CMER_INFORMATION_DAYS", 30)

# Logs carry ids and codes only; never request bodies (personal data).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("CMER_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django logs the request path of every 4xx/5xx; paths never hold personal data here.
        "django.request": {"level": "ERROR"},
        "django.security": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# ProConnect, the State's OpenID Connect federation for public agents (docs/proconnect.md).
# Off by default: no button and no URL until an installation registers and sets these variables.
CMER_PROCONNECT_ENABLED = env_bool("CMER_PROCONNECT_ENABLED")
# Only these eIDAS levels are multi-factor: a ProConnect login at one of them is the second factor.
CMER_PROCONNECT_ACR_VALUES = ["eidas1-mfa", "eidas2", "eidas3"]
if CMER_PROCONNECT_ENABLED:
    _pc_missing = [
        name
        for name in (
            "CMER_PROCONNECT_ISSUER",
            "CMER_PROCONNECT_CLIENT_ID",
            "CMER_PROCONNECT_CLIENT_SECRET",
        )
        if not env(name)
    ]
    if _pc_missing:
        raise ImproperlyConfigured(
            "CMER_PROCONNECT_ENABLED is on but these are missing: " + ", ".join(_pc_missing)
        )
# The issuer, e.g. https://auth.agentconnect.gouv.fr/api/v2; the endpoints default to ProConnect's
# paths under it and each can be overridden (the discovery document lists them).
CMER_PROCONNECT_ISSUER = env("CMER_PROCONNECT_ISSUER").rstrip("/")
OIDC_RP_CLIENT_ID = env("CMER_PROCONNECT_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env("CMER_PROCONNECT_CLIENT_SECRET")
OIDC_OP_AUTHORIZATION_ENDPOINT = env(
    "CMER_PROCONNECT_AUTHORIZATION_ENDPOINT", f"{CMER_PROCONNECT_ISSUER}/authorize"
)
OIDC_OP_TOKEN_ENDPOINT = env("CMER_PROCONNECT_TOKEN_ENDPOINT", f"{CMER_PROCONNECT_ISSUER}/token")
OIDC_OP_USER_ENDPOINT = env("CMER_PROCONNECT_USERINFO_ENDPOINT", f"{CMER_PROCONNECT_ISSUER}/userinfo")
OIDC_OP_JWKS_ENDPOINT = env("CMER_PROCONNECT_JWKS_ENDPOINT", f"{CMER_PROCONNECT_ISSUER}/jwks")
CMER_PROCONNECT_END_SESSION_ENDPOINT = env(
    "CMER_PROCONNECT_END_SESSION_ENDPOINT", f"{CMER_PROCONNECT_ISSUER}/session/end"
)
OIDC_RP_SIGN_ALGO = env("CMER_PROCONNECT_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email given_name usual_name siret idp_id"
OIDC_USE_NONCE = True
# ProConnect requires at least 32 characters for both.
OIDC_STATE_SIZE = 48
OIDC_NONCE_SIZE = 48
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the ProConnect logout
OIDC_CREATE_USER = False  # access stays ours: only accounts that exist
OIDC_TIMEOUT = env_int("CMER_PROCONNECT_TIMEOUT", 10)
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:proconnect_callback"
if CMER_PROCONNECT_ENABLED:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "cmer.accounts.proconnect.ProConnectBackend"]
    # The logout form's answer redirects to ProConnect's end-session endpoint, and browsers apply
    # form-action to the redirects of a form submission: allow that one origin, no other.
    _pc_end = urlsplit(CMER_PROCONNECT_END_SESSION_ENDPOINT)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [SELF, f"{_pc_end.scheme}://{_pc_end.netloc}"]
