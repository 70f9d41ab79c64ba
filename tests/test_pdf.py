"""PDF documents: they render, carry the watermark, never a name, fetch nothing remote, audited."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.core.pdf import is_allowed_url, render_pdf, watermark_text
from cmer.core.pdf_fetcher import LocalOnlyFetcher
from cmer.meetings.models import Decision, DecisionKind
from cmer.referrals.models import Source
from tests.factories import make_person
from tests.factories_meetings import make_item, make_meeting
from tests.factories_stats import Situation, bulk_situations, mixed
from tests.personas import persona_client

ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "pdf"


def pdf_text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode()


def save_page_one(pdf: bytes, name: str) -> Path:
    """Keep the PDF and a PNG of page 1 (pdftoppm) to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", "-", str(ARTIFACTS / name)],
        input=pdf,
        check=True,
    )
    return ARTIFACTS / f"{name}.png"


@pytest.mark.django_db
def test_annual_report_renders_watermarked_without_names(world):
    # Three from an association, aged 12: small counts the report must show as « < 5 ».
    bulk_situations(world.a, 2025, mixed(80) + [Situation(source=Source.ASSOCIATION, age=12)] * 3)
    client = persona_client(world, "president")
    response = client.get("/statistiques/rapport-annuel.pdf", {"annee": 2025})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert save_page_one(pdf, "annual-report").stat().st_size > 1000
    text = pdf_text(pdf)
    president = world.a.members["president"]
    assert f"compte n° {president.user_id}" in text and "Président" in text
    assert "Rapport d'activité 2025" in text and "Réunions tenues" in text and "< 5" in text
    # No name: neither of a followed person nor of the author (personas are named "President AAA").
    assert "Canari" not in text and "President" not in text and president.user.email not in text
    event = AuditEvent.objects.get(action="stats.export_pdf")
    assert event.actor_id == president.user_id and event.data == {"year": 2025, "scope": "cell"}


@pytest.mark.django_db
def test_minutes_pdf_shows_references_and_decisions_only(world):
    meeting = make_meeting(world.a)
    person = make_person(world.a.cell, last_name="Canarilongnom", first_name="Zéphyrine")
    item = make_item(world.a, meeting, person=person)
    Decision.objects.create(
        item=item,
        kind=DecisionKind.PROPOSE_SUPPORT,
        responsible_service="CCAS",
        deadline=date(2026, 12, 15),
        recorded_by=world.a.members["coordinator"],
    )
    other = make_item(world.a, meeting)
    client = persona_client(world, "coordinator")
    response = client.get(reverse("meetings:minutes_pdf", args=[meeting.pk]))
    assert response.status_code == 200
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    save_page_one(pdf, "minutes")
    text = pdf_text(pdf)
    assert item.case.reference in text and other.case.reference in text
    assert "proposition" in text and "d'accompagnement" in text and "15 décembre" in text and "CCAS" in text
    assert "PROJET" in text  # not validated yet
    assert "Canarilongnom" not in text and "Zéphyrine" not in text
    assert f"compte n° {world.a.members['coordinator'].user_id}" in text
    assert AuditEvent.objects.filter(action="meeting.export_minutes", target_id=str(meeting.pk)).count() == 1


@pytest.mark.django_db
def test_convocation_has_no_reference_and_agenda_of_a_guest_only_their_item(world):
    meeting = make_meeting(world.a)
    invited = make_item(world.a, meeting, guest=True)
    not_invited = make_item(world.a, meeting, guest=False)
    guest = persona_client(world, "guest")
    convocation = guest.get(reverse("meetings:convocation_pdf", args=[meeting.pk]))
    assert convocation.status_code == 200
    save_page_one(convocation.content, "convocation")
    text = pdf_text(convocation.content)
    assert "Convocation" in text and "Salle du conseil" in text
    assert invited.case.reference not in text and not_invited.case.reference not in text
    agenda = pdf_text(guest.get(reverse("meetings:agenda_pdf", args=[meeting.pk])).content)
    assert invited.case.reference in agenda and not_invited.case.reference not in agenda
    full = persona_client(world, "member").get(reverse("meetings:agenda_pdf", args=[meeting.pk]))
    save_page_one(full.content, "agenda")
    full_text = pdf_text(full.content)
    assert invited.case.reference in full_text and not_invited.case.reference in full_text
    # A guest may not have the relevé; a member not convened sees no meeting at all.
    assert guest.get(reverse("meetings:minutes_pdf", args=[meeting.pk])).status_code == 403
    later = make_meeting(world.a, roles=("president",))
    member = persona_client(world, "member")
    assert member.get(reverse("meetings:convocation_pdf", args=[later.pk])).status_code == 404


def test_fetcher_allows_only_data_and_static_files(tmp_path):
    static_file = Path(settings.BASE_DIR) / "cmer" / "static" / "cmer" / "cmer.css"
    assert is_allowed_url(static_file.as_uri())
    assert is_allowed_url("data:image/png;base64,iVBORw0KGgo=")
    for url in (
        "http://127.0.0.1:8000/static/cmer/cmer.css",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "file:///etc/passwd",
        static_file.parent.as_uri() + "/../../../../../etc/passwd",
        (tmp_path / "x.css").as_uri(),
        "javascript:alert(1)",
        "//example.org/x.png",
    ):
        assert not is_allowed_url(url), url
        with pytest.raises(ValueError):
            LocalOnlyFetcher().fetch(url)


def test_weasyprint_loads_with_the_first_document_not_at_start_up():
    """A gunicorn worker or a manage.py command that renders no PDF does not pay WeasyPrint's
    import (0.4 s of CPU): every app's ready() and the whole URLconf load without it."""
    code = (
        "import sys, django; django.setup(); from django.urls import resolve; resolve('/'); "
        "print('weasyprint' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.django_db
def test_render_pdf_survives_a_remote_resource(world, tmp_path, settings):
    """A template asking for a remote image still renders, without the image (no network)."""
    template_dir = tmp_path / "tpl"
    template_dir.mkdir()
    (template_dir / "remote.html").write_text(
        '<html><body><p>Bonjour</p><img src="http://203.0.113.1/track.png" alt=""></body></html>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [template_dir]}]
    started = timezone.now()
    pdf = render_pdf("remote.html", {}, membership=world.a.members["coordinator"])
    assert pdf.startswith(b"%PDF")
    assert timezone.now() - started < timedelta(seconds=5)  # no 10 s network timeout: never tried


@pytest.mark.django_db
def test_watermark_names_the_account_number_role_and_time(world):
    membership = world.a.members["dpo"]
    membership.user.first_name, membership.user.last_name = "Hortense", "Vautrin"
    membership.user.save()
    text = watermark_text(membership, timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 5)))
    assert f"compte n° {membership.user_id}" in text and "AAA" in text and "2 mars 2026 à 9 h 05" in text
    assert "Hortense" not in text and "Vautrin" not in text
