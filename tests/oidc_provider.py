"""A real OpenID Connect provider for the ProConnect tests: node's `oidc-provider`, one process per
test session (per xdist worker), on 127.0.0.1 (tests/oidc/provider.mjs).

The provider's code is the library's; the tests only choose who signs in (POST /test/next, what a
person would type on the provider's page), shorten the code lifetime, or point our client at a
JWKS the provider does not sign with.
"""

from __future__ import annotations

import fcntl
import os
import select
import socket
import subprocess  # nosec B404
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PROVIDER_DIR = ROOT / "tests" / "oidc"
CALLBACK = "http://testserver/connexion/proconnect/retour/"


def _install() -> None:
    # xdist workers share the directory: one `npm ci` at a time.
    with open(PROVIDER_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([str(ROOT / "scripts" / "install-oidc-provider.sh")], check=True)  # nosec B603


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Provider:
    issuer: str

    def choose(self, *, sub: str, acr: str, email: str) -> None:
        claims = {
            "email": email,
            "given_name": "Camille",
            "usual_name": "Martin",
            "siret": "21750001600019",
            "idp_id": "fia1v2",
        }
        r = requests.post(
            f"{self.issuer}/test/next", json={"sub": sub, "acr": acr, "claims": claims}, timeout=5
        )
        r.raise_for_status()

    def code_ttl(self, seconds: int) -> None:
        requests.post(f"{self.issuer}/test/code-ttl", json={"seconds": seconds}, timeout=5).raise_for_status()

    def authorize(self, client: Client) -> str:
        """Our start URL, then the provider as a browser would: the callback path to open."""
        response = client.get(reverse("accounts:proconnect_start"))
        assert response.status_code == 302, response.status_code
        location = response["Location"]
        assert location.startswith(f"{self.issuer}/auth?")
        browser = requests.Session()
        for _ in range(10):
            answer = browser.get(location, allow_redirects=False, timeout=5)
            assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
            location = urljoin(location, answer.headers["location"])
            if location.startswith(CALLBACK):
                return location.removeprefix("http://testserver")
        raise AssertionError("the provider never sent the browser back")

    def settings(self) -> dict[str, Any]:
        return {
            "CMER_PROCONNECT_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/auth",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/me",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/jwks",
            "CMER_PROCONNECT_END_SESSION_ENDPOINT": f"{self.issuer}/session/end",
        }


# How long the provider may take to listen. Once, under CI, node hung before listening (every
# thread waiting on a lock, no port open) and the test waited 17 minutes: a start that does not
# answer in time is stopped and made once more, then the test fails, it never hangs.
START_SECONDS = 20


def _start(site: str) -> tuple[subprocess.Popen[bytes], int] | None:
    """The provider's process and port once it says it is ready; None, the process stopped, when
    it has not said so within START_SECONDS."""
    port = _free_port()
    process = subprocess.Popen(  # nosec B603
        [
            "node",
            "provider.mjs",
            str(port),
            f"{site}/connexion/proconnect/retour/",
            f"{site}/deconnexion/proconnect/",
        ],
        cwd=PROVIDER_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    # Raw reads of the pipe: a buffered readline() could keep the "ready" line in its buffer while
    # select() waits on an empty pipe until the deadline.
    output, deadline = b"", time.monotonic() + START_SECONDS
    fd = process.stdout.fileno()
    while (left := deadline - time.monotonic()) > 0 and select.select([fd], [], [], left)[0]:
        chunk = os.read(fd, 4096)
        if not chunk:  # it exited
            break
        output += chunk
        if any(line.startswith(b"ready ") for line in output.split(b"\n")):
            return process, port
    process.kill()
    process.wait()
    return None


@contextmanager
def running_provider(site: str) -> Iterator[Provider]:
    """The provider on a free port, registered for the client at `site` (our callback and logout)."""
    _install()
    started = _start(site) or _start(site)
    if started is None:
        raise RuntimeError(f"the OpenID provider did not start within {START_SECONDS} s, twice")
    process, port = started
    try:
        yield Provider(issuer=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session", name="oidc_provider")
def oidc_provider_fixture() -> Iterator[Provider]:
    """One provider per test session, for the test client's `http://testserver`."""
    with running_provider("http://testserver") as provider:
        yield provider


@pytest.fixture(name="proconnect")
def proconnect_fixture(settings: Any, oidc_provider: Provider) -> Provider:
    """Our ProConnect client pointed at the local provider for this test."""
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)
    settings.CMER_SITE_URL = "http://testserver"  # the address registered at the provider
    oidc_provider.code_ttl(60)
    return oidc_provider
