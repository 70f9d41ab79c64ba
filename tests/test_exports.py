"""Guards over every export: selected by what a URL returns (its content type), never by its name.

Every URL pattern (one test each) is opened by every persona its matrix row allows (no URL, no
app exempted); every answer that is a file (CSV, PDF, Markdown, or any attachment) is read as text
and must not show the préfet's compartment (docs/security.md: information from the préfet stays in its own
pages). Pages that transmit to the State are HTML and are checked by name as well.
"""

from __future__ import annotations

import html
import subprocess

import pytest
from django.test import Client
from django.urls import reverse

from cmer.cases.models import Case
from cmer.exchange.models import PrefectInformation, PrefectSituation
from tests.factories_exchange import make_case_with_facts, make_prefect_info, make_transmission
from tests.matrix import all_rows, url_names
from tests.personas import persona_client

pytestmark = pytest.mark.django_db

EXPORT_TYPES = ("text/csv", "application/pdf", "text/markdown")


def is_export(response) -> bool:  # type: ignore[no-untyped-def]
    """A file rather than a page: a download, or any content type but HTML."""
    content_type = response.get("Content-Type", "").split(";")[0].strip()
    attachment = response.get("Content-Disposition", "").startswith("attachment")
    return attachment or content_type.startswith(EXPORT_TYPES) or content_type not in ("text/html", "")


def readable(response) -> str:  # type: ignore[no-untyped-def]
    """The text of a page, CSV, Markdown or PDF (pdftotext), whatever the export format."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"%PDF"):
        done = subprocess.run(
            ["pdftotext", "-", "-"], input=body, capture_output=True, timeout=60, check=True
        )
        return done.stdout.decode("utf-8", "replace")
    return html.unescape(body.decode("utf-8", "replace"))


def _every_case_has_prefect_information(world) -> None:  # type: ignore[no-untyped-def]
    """Whatever cases a row's arguments just created, each one carries préfet information."""
    informed = PrefectInformation.objects.filter(case__isnull=False).values("case")
    for case in Case.objects.filter(cell=world.a.cell).exclude(pk__in=informed):
        make_prefect_info(world.a, case=case)


ROWS = all_rows()  # test_matrix.py fails first when a URL has no row
# The resolver's list, not a hand-picked one: one test per URL pattern answering a GET.
GET_NAMES = sorted(name for name in url_names() if ROWS[name].method == "GET")


@pytest.fixture
def informed(world):  # type: ignore[no-untyped-def]
    """A situation transmitted to the State, and préfet information in cell A."""
    case = make_case_with_facts(world.a)
    make_transmission(world.a, case=case, sent=True)
    make_prefect_info(world.a, by_role="state_member")
    return world


def _personas(name: str) -> list[str]:
    row = ROWS[name]
    return ["anonymous"] if row.public or row.auth_step else sorted(row.allowed)


def _get(world, name: str, persona: str):  # type: ignore[no-untyped-def]
    row = ROWS[name]
    url = reverse(name, kwargs=row.kwargs(world, world.a) if row.kwargs else None)
    _every_case_has_prefect_information(world)
    client = Client() if persona == "anonymous" else persona_client(world, persona)
    return client.get(url)


@pytest.mark.parametrize("name", GET_NAMES)
def test_every_export_is_found_by_content_type_and_hides_the_prefect_compartment(informed, name):
    world = informed
    labels = [str(label) for _, label in PrefectSituation.choices]
    for persona in _personas(name):
        response = _get(world, name, persona)
        if response.status_code != 200:
            continue
        if is_export(response):
            content = readable(response)
            for label in labels:
                assert label not in content, f"{name} exports préfet information to {persona}"
        elif name.startswith("exchange:transmission"):
            content = readable(response)
            for label in labels:
                assert label not in content, f"{name} shows préfet information to {persona}"
    assert PrefectInformation.objects.filter(case__isnull=False).exists()


def test_the_guard_finds_the_exports_by_themselves(informed):
    """The content type finds CSV, PDF and Markdown exports, several of each kind, and the
    transmission pages: the first persona the URL answers is enough to see what it returns."""
    world = informed
    assert len(GET_NAMES) > 40
    exports: dict[str, set[str]] = {}
    transmission_pages = []
    for name in GET_NAMES:
        answers = (_get(world, name, persona) for persona in _personas(name))
        response = next((r for r in answers if r.status_code == 200), None)
        if response is None:
            continue
        if is_export(response):
            exports.setdefault(response["Content-Type"].split(";")[0], set()).add(name)
        elif name.startswith("exchange:transmission"):
            transmission_pages.append(name)
    assert PrefectInformation.objects.filter(case__isnull=False).count() > 1
    assert set(EXPORT_TYPES) <= exports.keys(), exports
    assert sum(len(names) for names in exports.values()) >= 8, exports
    assert {"exchange:transmissions", "exchange:transmission_detail"} <= set(transmission_pages)
