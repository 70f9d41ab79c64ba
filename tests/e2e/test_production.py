"""The application as deployed, in a real browser (issue 13, item 1).

DEBUG off, explicit keys, `collectstatic` with the manifest storage, served by gunicorn with
whitenoise, on the suite's database engine (a database of its own on the PostgreSQL server when the
suite runs there): the configuration the development server and `live_server` never show.
Every stylesheet and script of the login page and of a signed-in page must be applied — an
integrity hash that does not match what is served makes the browser drop the file silently.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.urls import reverse
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.e2e.conftest import check_a11y, follow, new_context, static_sources_digest
from tests.production_env import production_env

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
EMAIL = "production@test.cmer"

# Runs in the server's environment (production settings, its own database): one cell, one
# coordinator with a confirmed TOTP device; prints the device key for the browser's second factor.
CREATE_PERSONA = f"""
import django, json
django.setup()
from cmer.accounts.models import TOTPDevice
from tests.personas import make_cell, make_membership, make_user
user = make_user({EMAIL!r}, first="Paula", last="Production")
make_membership(user, make_cell("PRD", "Prod-ville", "13003"), "coordinator")
device = TOTPDevice.objects.get(user=user)
print(json.dumps({{"key": device.key, "step": device.step, "t0": device.t0, "digits": device.digits}}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _production_env(tmp: Path, port: int, database: dict[str, str]) -> dict[str, str]:
    return production_env(
        CMER_ALLOWED_HOSTS="127.0.0.1",
        CMER_SITE_URL=f"http://127.0.0.1:{port}",
        # Plain HTTP on the loopback: TLS is the reverse proxy's job (docs/deployment.md).
        CMER_SSL_REDIRECT="0",
        **database,
        CMER_STATIC_ROOT=str(_collected_static()),
        CMER_AUDIT_CHECKPOINT_PATH=str(tmp / "checkpoints.jsonl"),
        CMER_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DJANGO_SETTINGS_MODULE="cmer.settings",
        PYTHONPATH=str(ROOT),
    )


def _run(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _collected_static() -> Path:
    """`collectstatic` output for the current static sources, collected once and reused.

    Compressing ~1,300 files with brotli and gzip takes 20 s or more; the SQLite and the
    PostgreSQL runs of the suite (and a developer's reruns) serve the same files, so the folder is
    keyed on every source file's path, size and modification time and rebuilt when one changes.
    """
    target = ROOT / ".cache" / f"static-{static_sources_digest()[:16]}"
    if not (target / "staticfiles.json").exists():
        # A folder per process: two pytest-xdist workers (or the SQLite and PostgreSQL runs side by
        # side) may collect at the same time; the first complete folder wins, the other is dropped.
        partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        env = production_env(CMER_STATIC_ROOT=str(partial), CMER_SQLITE_PATH=":memory:")
        _run(env, sys.executable, "manage.py", "collectstatic", "--noinput", "-v0")
        try:
            partial.rename(target)
        except OSError:  # another process renamed its complete folder first
            shutil.rmtree(partial, ignore_errors=True)
    return target


@pytest.fixture(scope="module")
def deployed_database():  # type: ignore[no-untyped-def]
    """The deployed server's own database: a fresh one on the suite's PostgreSQL server, else a
    SQLite file (the test database of the suite itself is never touched)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield None
        return
    params = connection.settings_dict
    name = f"cmer_deployed_{os.getpid()}"
    admin = dict(
        host=params["HOST"] or "127.0.0.1",
        port=params["PORT"] or 5432,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    yield f"postgres://{params['USER']}{password}@{admin['host']}:{admin['port']}/{name}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, deployed_database):  # type: ignore[no-untyped-def]
    """A gunicorn server on a free loopback port, as an operator starts it; yields (url, TOTP key)."""
    tmp = tmp_path_factory.mktemp("deployed")
    port = _free_port()
    database = (
        {"DATABASE_URL": deployed_database}
        if deployed_database
        else {"CMER_SQLITE_PATH": str(tmp / "db.sqlite3")}
    )
    env = _production_env(tmp, port, database)
    python = sys.executable
    _run(env, python, "manage.py", "migrate", "--noinput", "-v0")
    device = json.loads(_run(env, python, "-c", CREATE_PERSONA).strip().splitlines()[-1])
    log = (tmp / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(python).with_name("gunicorn")),
            "cmer.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # Until the liveness URL answers 200 (an HTTP error is an OSError too: not ready yet).
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}{reverse('core:healthz')}", timeout=1)
                break
            except OSError:
                assert server.poll() is None, (tmp / "gunicorn.log").read_text()
                time.sleep(0.2)
        else:
            raise AssertionError("gunicorn never answered: " + (tmp / "gunicorn.log").read_text())
        yield url, device
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


class Watch:
    """Everything the browser refused or failed to load, and every console error."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status} {r.url}"))


# For each stylesheet link: was it applied (link.sheet), and with which integrity attribute.
SHEETS = """() => [...document.querySelectorAll('link[rel=stylesheet]')]
    .filter(l => !l.media || l.media === 'all' || matchMedia(l.media).matches)
    .map(l => ({href: l.href, applied: l.sheet !== null, integrity: l.integrity}))"""
SCRIPTS = """() => [...document.querySelectorAll('script[src]')]
    .filter(s => !s.noModule).map(s => ({src: s.src, integrity: s.integrity}))"""


def assert_every_asset_applied(page, watch: Watch) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("load")
    sheets = page.evaluate(SHEETS)
    assert len(sheets) >= 3, sheets
    dropped = [s["href"] for s in sheets if not s["applied"]]
    assert not dropped, f"stylesheets not applied: {dropped}; {watch.problems}"
    # The manifest names are served (a hashed name proves collectstatic's storage is in use).
    assert all(re.search(r"\.[0-9a-f]{12}\.css$", s["href"]) for s in sheets), sheets
    assert all(s["integrity"].startswith("sha384-") for s in sheets if "/dsfr/" in s["href"]), sheets
    scripts = page.evaluate(SCRIPTS)
    assert scripts, "the DSFR script is on every page"
    # The DSFR module script marks the document once it has run; a blocked script never does.
    page.wait_for_function("() => document.documentElement.hasAttribute('data-fr-js')", timeout=5000)
    blue = page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--text-action-high-blue-france')"
    )
    assert blue.strip() == "#000091", "the DSFR colour tokens are defined (bleu France)"
    assert not watch.problems, watch.problems


def test_deployed_pages_apply_every_stylesheet_and_script(deployed, browser):  # type: ignore[no-untyped-def]
    url, device = deployed
    context = new_context(browser, url)
    page = context.new_page()
    watch = Watch(page)

    page.goto("/")
    page.wait_for_url(re.compile(r"/connexion/\?next=/$"))
    assert_every_asset_applied(page, watch)
    check_a11y(page, "production-01-login")

    page.get_by_label("Adresse électronique").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/connexion/second-facteur/$"))
    key = bytes.fromhex(device["key"])
    # A code already used in this 30-second window is refused (anti-replay): try the next step.
    for drift in (0, 1):
        code = totp(key, step=device["step"], t0=device["t0"], digits=device["digits"], drift=drift)
        page.get_by_label("Code à usage unique").fill(f"{code:06d}")
        follow(page, page.get_by_role("button", name="Valider"))
        if "/second-facteur/" not in page.url:
            break
    assert page.url == f"{url}/", page.url
    expect(page.get_by_role("heading", level=1).first).to_be_visible()
    assert_every_asset_applied(page, watch)
    check_a11y(page, "production-02-dashboard")
    context.close()
