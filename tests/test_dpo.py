"""The DPO console: audit search, alerts, documents; no personal value on any DPO page."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zoneinfo
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cmer.audit.chain import GENESIS, canonical, compute_hash
from cmer.audit.models import AuditEvent
from cmer.audit.services import record
from cmer.cases.states import State
from cmer.core.pdf_fetcher import LocalOnlyFetcher
from cmer.privacy.alerts import AlertKind, alerts_for
from cmer.privacy.models import PurgeReport, RetentionPolicy
from cmer.privacy.purge import purge_run
from tests.factories import make_case, make_person, make_referral
from tests.factories_privacy import make_report, make_rights_request
from tests.personas import persona_client

pytestmark = pytest.mark.django_db
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CANARIES = ("Canarylast", "Canaryfirst", "Quetzalcoatl Street", "06 99 99 99 99", "canary@example.org")


def event_at(when: dt.datetime, **fields) -> AuditEvent:
    """Append a correctly chained event at a chosen time (record() always stamps 'now')."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    values = {
        "seq": seq,
        "created_at": when,
        "actor_id": None,
        "cell_id": None,
        "action": "case.read",
        "target_type": "",
        "target_id": "",
        "outcome": "ok",
        "request_id": "",
        "ip": None,
        "data": {},
        **fields,
    }
    return AuditEvent.objects.create(prev_hash=prev, hash=compute_hash(prev, canonical(**values)), **values)


def paris(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


# --- no personal values -------------------------------------------------------------------------


DPO_PAGES = [
    "privacy:dpo",
    "privacy:audit_search",
    "privacy:charters",
    "privacy:accounts",
    "privacy:purge_reports",
    "privacy:register",
    "privacy:register_md",
    "privacy:dpia",
    "privacy:dpia_md",
    "privacy:rights",
    "privacy:retention",
]


def test_no_dpo_page_shows_a_persons_identity_or_free_text(world):
    person = make_person(
        world.a.cell,
        last_name=CANARIES[0],
        first_name=CANARIES[1],
        address=CANARIES[2],
        phone=CANARIES[3],
        email=CANARIES[4],
        birth_date=dt.date(1970, 1, 1),
    )
    case = make_case(
        world.a, State.DISMISSED, person=person, opened_at=timezone.now() - dt.timedelta(days=200)
    )
    make_referral(world.a, case=case, description="Canarydescription du signalement")
    coordinator = persona_client(world, "coordinator")
    coordinator.get(reverse("cases:detail", args=[case.pk]))  # whatever the cases app records on a read
    purge_run(cell=world.a.cell, wet_run=False)
    report = make_report(world.a)
    make_rights_request(world.a)
    client = persona_client(world, "dpo")
    pages = [reverse(name) for name in DPO_PAGES] + [
        reverse("privacy:purge_report", kwargs={"pk": report.pk})
    ]
    pages.append(reverse("privacy:audit_search") + f"?target_id={case.pk}")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for canary in (*CANARIES, "Canarydescription"):
            assert canary not in body, f"{canary} on {url}"


# --- audit search -------------------------------------------------------------------------------


def test_audit_search_filters_and_stays_in_the_dpos_cell(world):
    a, b = world.a.cell.pk, world.b.cell.pk
    coordinator = world.a.user("coordinator")
    record(action="case.read", actor=coordinator, cell=a, target_type="cases.case", target_id=7)
    record(action="case.transition", actor=coordinator, cell=a, target_type="cases.case", target_id=8)
    record(action="case.read", actor=world.a.user("member"), cell=a, target_type="cases.case", target_id=9)
    record(
        action="case.read", actor=world.b.user("coordinator"), cell=b, target_type="cases.case", target_id=77
    )
    client = persona_client(world, "dpo")

    def targets(query: str) -> set[str]:
        response = client.get(reverse("privacy:audit_search") + query)
        assert response.status_code == 200
        return {e.target_id for e in response.context["events"] if e.target_type == "cases.case"}

    assert targets("") == {"7", "8", "9"}  # never cell B's 77
    assert targets(f"?actor={coordinator.pk}") == {"7", "8"}
    assert targets("?action=case.read") == {"7", "9"}
    assert targets("?action=case.") == {"7", "8", "9"}
    assert targets("?target_type=cases.case&target_id=8") == {"8"}
    today = timezone.localdate()
    assert targets(f"?date_from={today}&date_to={today}") == {"7", "8", "9"}
    assert targets(f"?date_to={today - dt.timedelta(days=1)}") == set()
    assert targets(f"?actor={world.b.user('coordinator').pk}") == set()


def test_audit_search_period_is_inclusive_local_days(world):
    cell, actor = world.a.cell.pk, world.a.user("coordinator").pk
    day = timezone.localdate() - dt.timedelta(days=10)
    for offset, hour in ((0, 23), (1, 0), (1, 23), (2, 0)):
        when = paris(day + dt.timedelta(days=offset), hour, 30)
        event_at(when, actor_id=actor, cell_id=cell, target_type="cases.case", target_id=f"{offset}-{hour}")
    middle = day + dt.timedelta(days=1)
    response = persona_client(world, "dpo").get(
        reverse("privacy:audit_search") + f"?date_from={middle}&date_to={middle}&target_type=cases.case"
    )
    assert [e.target_id for e in response.context["events"]] == ["1-23", "1-0"]


def test_audit_search_refuses_bad_filters_without_error(world):
    client = persona_client(world, "dpo")
    for query in (
        "?actor=abc",
        "?action=<script>",
        "?date_from=2026-13-45",
        "?date_from=2026-05-02&date_to=2026-05-01",
    ):
        response = client.get(reverse("privacy:audit_search") + query)
        assert response.status_code == 200
        assert response.context["events"] == []


def test_audit_search_pages_by_keyset_without_overlap_or_gap(world):
    cell = world.a.cell.pk
    for i in range(120):
        record(
            action="case.read",
            actor=world.a.user("president"),
            cell=cell,
            target_type="cases.case",
            target_id=i,
        )
    client = persona_client(world, "dpo")
    url = reverse("privacy:audit_search") + "?action=case.read"
    seen: list[int] = []
    pages = 0
    while url:
        response = client.get(url)
        seen += [e.seq for e in response.context["events"]]
        pages += 1
        next_query = response.context["next_query"]
        url = reverse("privacy:audit_search") + "?" + next_query if next_query else ""
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert seen == sorted(seen, reverse=True)


# --- alerts -------------------------------------------------------------------------------------


def test_alert_when_an_account_reads_more_than_n_distinct_cases_in_a_day(world, settings):
    settings.CMER_ALERT_CASE_READS_PER_DAY = 5
    day = dt.date(2026, 6, 3)
    cell = world.a.cell.pk
    heavy, normal = world.a.user("president").pk, world.a.user("coordinator").pk
    for i in range(6):
        event_at(paris(day, 10, i), actor_id=heavy, cell_id=cell, target_type="cases.case", target_id=str(i))
    for i in range(5):  # exactly N: no alert; re-reading the same case twice does not count double
        event_at(paris(day, 11, i), actor_id=normal, cell_id=cell, target_type="cases.case", target_id=str(i))
    event_at(paris(day, 11, 30), actor_id=normal, cell_id=cell, target_type="cases.case", target_id="0")
    alerts = alerts_for(cell, since=paris(day, 0), until=paris(day + dt.timedelta(days=1), 0))
    assert [(a.kind, a.actor_id, a.count) for a in alerts] == [(AlertKind.MANY_CASES, heavy, 6)]
    assert alerts_for(world.b.cell.pk, since=paris(day, 0), until=paris(day, 23)) == []


def test_alert_on_access_at_night_paris_time(world):
    day = dt.date(2026, 1, 15)  # winter: Paris is UTC+1
    cell, actor = world.a.cell.pk, world.a.user("member").pk
    event_at(paris(day, 21, 59), actor_id=actor, cell_id=cell)
    event_at(paris(day, 6, 0), actor_id=actor, cell_id=cell)
    assert alerts_for(cell, since=paris(day, 0), until=paris(day, 23, 59)) == []
    event_at(paris(day, 22, 0), actor_id=actor, cell_id=cell)
    event_at(paris(day, 5, 59), actor_id=actor, cell_id=cell)
    alerts = alerts_for(cell, since=paris(day, 0), until=paris(day, 23, 59))
    assert [(a.kind, a.actor_id, a.day, a.count) for a in alerts] == [(AlertKind.NIGHT, actor, day, 2)]


def test_alert_on_ten_refusals_in_a_day(world):
    day = dt.date(2026, 6, 3)
    cell, actor = world.a.cell.pk, world.a.user("reporter").pk
    for i in range(9):
        event_at(
            paris(day, 10, i), actor_id=actor, cell_id=cell, action="access.not_visible", outcome="denied"
        )
    assert alerts_for(cell, since=paris(day, 0), until=paris(day, 23)) == []
    event_at(paris(day, 10, 30), actor_id=actor, cell_id=cell, action="access.not_visible", outcome="denied")
    alerts = alerts_for(cell, since=paris(day, 0), until=paris(day, 23))
    assert [(a.kind, a.count) for a in alerts] == [(AlertKind.DENIALS, 10)]


def test_console_lists_alerts_by_the_accounts_name_and_role_not_its_id(world):
    member = world.a.members["member"]
    now = timezone.localtime()
    night = now.replace(hour=23, minute=0) - dt.timedelta(days=1)
    event_at(night, actor_id=member.user_id, cell_id=world.a.cell.pk)
    response = persona_client(world, "dpo").get(reverse("privacy:dpo"))
    body = response.content.decode()
    assert f"{member.user.get_full_name()} ({member.get_role_display()})" in body
    assert f"#{member.user_id}<" not in body
    assert [(a.kind, who) for a, who in response.context["alerts"]] == [
        (AlertKind.NIGHT, f"{member.user.get_full_name()} ({member.get_role_display()})")
    ]


# --- reports, accounts, charters ----------------------------------------------------------------


def test_purge_reports_are_the_dpos_alone(world):
    report = make_report(world.a)
    url = reverse("privacy:purge_report", kwargs={"pk": report.pk})
    assert persona_client(world, "dpo").get(url).status_code == 200
    for role in ("coordinator", "president", "member", "trainer"):
        assert persona_client(world, role).get(url).status_code == 404
        assert persona_client(world, role).get(reverse("privacy:purge_reports")).status_code == 403


def test_coordinator_previews_then_runs_a_purge_and_the_dpo_gets_the_report(world):
    case = make_case(world.a, State.DISMISSED, opened_at=timezone.now() - dt.timedelta(days=200))
    client = persona_client(world, "coordinator")
    response = client.post(reverse("privacy:purge_start"), follow=True)
    assert "Simulation : 1 situation à détruire ou détruite" in response.content.decode()
    assert type(case).objects.filter(pk=case.pk).exists()
    client.post(reverse("privacy:purge_start"), {"wet_run": "on"})
    assert not type(case).objects.filter(pk=case.pk).exists()
    reports = persona_client(world, "dpo").get(reverse("privacy:purge_reports")).context["reports"]
    assert [(r.dry_run, r.trigger) for r in reports] == [(False, "web"), (True, "web")]


def test_accounts_and_charter_acceptances_of_the_cell_only(world):
    client = persona_client(world, "dpo")
    body = client.get(reverse("privacy:accounts")).content.decode()
    assert world.a.user("trainer").get_full_name() in body
    assert world.b.user("trainer").get_full_name() not in body
    rows = client.get(reverse("privacy:charters")).context["rows"]
    assert {r.membership.cell_id for r in rows} == {world.a.cell.pk}
    assert len(rows) == len(world.a.members)


# --- retention policy ---------------------------------------------------------------------------


def test_coordinator_changes_the_policy_and_the_dpo_validates_it(world):
    coordinator, dpo = persona_client(world, "coordinator"), persona_client(world, "dpo")
    dpo.post(reverse("privacy:retention_validate"))
    policy = RetentionPolicy.objects.get(cell=world.a.cell)
    assert policy.validated_by == world.a.members["dpo"]
    data = {
        "dismissed_days": 60,
        "archive_years": 2,
        "young_age_limit": 25,
        "young_max_age": 25,
        "adult_cap_years": 5,
        "audit_months": 12,
        "validated_at": "2020-01-01T00:00",
        "cell": world.b.cell.pk,
    }
    assert coordinator.post(reverse("privacy:retention_edit"), data).status_code == 302
    policy.refresh_from_db()
    assert (policy.dismissed_days, policy.archive_years, policy.cell_id) == (60, 2, world.a.cell.pk)
    assert policy.validated_at is None  # a change needs a new validation
    event = AuditEvent.objects.get(action="retention.policy_update")
    assert event.data == {"dismissed_days": 60, "archive_years": 2, "adult_cap_years": 5}


def test_policy_cannot_lengthen_retention_and_bad_input_writes_nothing(world):
    client = persona_client(world, "coordinator")
    for bad in (
        {"dismissed_days": 400},
        {"archive_years": 10},
        {"dismissed_days": "abc"},
        {"young_max_age": 30},
    ):
        data = {"dismissed_days": 90, "archive_years": 3, "young_age_limit": 25, "young_max_age": 25}
        data.update({"adult_cap_years": 6, "audit_months": 12, **bad})
        assert client.post(reverse("privacy:retention_edit"), data).status_code == 400
    assert not RetentionPolicy.objects.exists()


# --- documents ----------------------------------------------------------------------------------


def test_register_is_generated_from_the_live_configuration(world):
    RetentionPolicy.objects.create(cell=world.a.cell, dismissed_days=45, archive_years=2)
    dpo = persona_client(world, "dpo")
    response = dpo.get(reverse("privacy:register_md"))
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/markdown")
    assert "attachment" in response["Content-Disposition"]
    # A change not yet validated does not apply: the register shows the durations in force.
    assert "45 jours" not in text and "non encore validée" in text and "attend sa validation" in text
    dpo.post(reverse("privacy:retention_validate"))
    text = dpo.get(reverse("privacy:register_md")).content.decode()
    assert "45 jours" in text and "2 ans" in text and "validée par le DPO le" in text
    assert world.a.cell.operator in text and world.a.user("dpo").email in text
    assert world.b.cell.name not in text


def test_register_and_dpia_pdfs_render(world):
    client = persona_client(world, "dpo")
    ARTIFACTS.mkdir(exist_ok=True)
    for name in ("privacy:register_pdf", "privacy:dpia_pdf"):
        response = client.get(reverse(name))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        path = ARTIFACTS / f"{name.split(':')[1]}.pdf"
        path.write_bytes(response.content)
        if shutil.which("pdftotext"):
            text = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert (
                "durées de conservation" in " ".join(text.split()).lower() and world.a.cell.operator in text
            )
        if shutil.which("pdftoppm"):
            out = ARTIFACTS / name.split(":")[1]
            subprocess.run(
                ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(out)], check=True
            )


def test_pdf_fetcher_allows_only_data_and_static_files():
    fetcher = LocalOnlyFetcher()
    for url in ("http://127.0.0.1:9/x.css", "https://example.org/a.png", "file:///etc/passwd", "ftp://x/y"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,ok") is not None


def test_dry_run_from_purge_command_is_visible_to_the_dpo_only_as_counts(world):
    purge_run(cell=world.a.cell, wet_run=False)
    report = PurgeReport.objects.get(cell=world.a.cell)
    response = persona_client(world, "dpo").get(reverse("privacy:purge_report", kwargs={"pk": report.pk}))
    assert "simulation" in response.content.decode()


def test_dpo_scopes_are_the_dpos_own_cell_and_nobody_elses(world):
    from cmer.privacy.scopes import (
        accounts_visible_to,
        audit_events_visible_to,
        charter_acceptances_visible_to,
    )

    record(action="test.a", cell=world.a.cell.pk)
    record(action="test.b", cell=world.b.cell.pk)
    dpo = world.a.members["dpo"]
    scopes = (audit_events_visible_to, charter_acceptances_visible_to, accounts_visible_to)
    assert set(audit_events_visible_to(dpo).values_list("action", flat=True)) >= {"test.a"}
    assert not audit_events_visible_to(dpo).filter(cell_id=world.b.cell.pk).exists()
    assert {m.cell_id for m in accounts_visible_to(dpo)} == {world.a.cell.pk}
    assert {c.membership.cell_id for c in charter_acceptances_visible_to(dpo)} == {world.a.cell.pk}
    for role in ("president", "coordinator", "member", "trainer"):
        assert not any(scope(world.a.members[role]).exists() for scope in scopes), role
    assert not any(scope(None).exists() for scope in scopes)


def test_web_purge_request_is_audited_with_its_actor_in_the_purge(world):
    client = persona_client(world, "coordinator")
    assert client.post(reverse("privacy:purge_start"), {}).status_code == 302
    report = PurgeReport.objects.get(cell=world.a.cell)
    request = AuditEvent.objects.get(action="purge.request")
    assert request.actor_id == world.a.user("coordinator").pk
    assert (request.target_type, request.target_id) == ("privacy.purgereport", str(report.pk))


# --- in a browser -------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_dpo_console_in_a_browser_is_accessible(live_server, browser, world):
    """The DPO walks from the dashboard's card to the console and its pages, by links only."""
    from playwright.sync_api import expect

    from tests.e2e.conftest import a11y_problems, follow, signed_in_page

    make_report(world.a)
    make_rights_request(world.a, received_on=timezone.localdate() - dt.timedelta(days=40))
    event_at(
        timezone.now() - dt.timedelta(days=1), actor_id=world.a.user("member").pk, cell_id=world.a.cell.pk
    )
    page = signed_in_page(browser, live_server, world.a.members["dpo"])
    page.goto("/")
    problems = a11y_problems(page, "dpo-dashboard")
    card = page.locator(".fr-card", has=page.get_by_role("heading", name="Protection des données"))
    follow(page, card.get_by_role("link", name="Console DPO"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Console du délégué à la protection des données"
    )
    problems += a11y_problems(page, "dpo-dpo")
    console = page.get_by_role("navigation", name="Console DPO")
    for link, name in (
        ("Journal d'audit", "audit_search"),
        ("Registre", "register"),
        ("Conservation", "retention"),
        ("Rapports de purge", "purge_reports"),
        ("Demandes de droits", "rights"),
    ):
        follow(page, console.get_by_role("link", name=link, exact=True))
        assert page.url.endswith(reverse(f"privacy:{name}")), name
        problems += a11y_problems(page, f"dpo-{name}")
    page.get_by_label("Référence du courrier").fill("COUR-E2E-1")
    page.get_by_label("Droit exercé").select_option("erasure")
    page.get_by_label("Reçue le").fill(timezone.localdate().isoformat())
    follow(page, page.get_by_role("button", name="Enregistrer").last)
    expect(page.get_by_text("COUR-E2E-1")).to_have_count(1)
    assert problems == [], problems


def _card(body: str, title: str) -> str:
    """The markup of the dashboard card of that title."""
    return body.split(f'<h2 class="fr-card__title">{title}</h2>', 1)[1].split('<div class="fr-card ', 1)[0]


def test_dashboard_counts_coming_destructions_for_managers_and_requests_and_alerts_for_the_dpo(
    world, monkeypatch
):
    # The DPO's card counts the unusual accesses of the last 30 days, activity at night among them:
    # the test's own requests must not fall at night, whatever the hour it runs. The clock reads
    # 11:00 (Paris), 40 days on: the world's events, written when the session started, fall out of
    # the window too.
    later = (timezone.localtime() + dt.timedelta(days=40)).replace(hour=11, minute=0).astimezone(dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: later)
    soon = make_case(
        world.a, State.DISMISSED, scheduled_deletion=timezone.localdate() + dt.timedelta(days=10)
    )
    make_case(world.a, State.SUPPORT, scheduled_deletion=timezone.localdate() + dt.timedelta(days=400))
    make_case(world.b, State.DISMISSED, scheduled_deletion=timezone.localdate())
    make_rights_request(world.a)
    body = persona_client(world, "coordinator").get(reverse("core:dashboard")).content.decode()
    assert "1 situation sera détruite" in body
    assert soon.reference not in body
    # Each card leads on to where its reader acts (the menu has the same links: read the card).
    assert f'href="{reverse("privacy:retention")}"' in _card(body, "Conservation")
    body = persona_client(world, "dpo").get(reverse("core:dashboard")).content.decode()
    assert "1 demande de droits ouverte" in body
    assert "Aucun accès inhabituel sur les 30 derniers jours." in body
    # A member's activity at 23:00 (Paris) yesterday: an alert, counted on the DPO's card.
    night = (timezone.localtime() - dt.timedelta(days=1)).replace(hour=23, minute=0)
    event_at(night, actor_id=world.a.user("member").pk, cell_id=world.a.cell.pk)
    body = persona_client(world, "dpo").get(reverse("core:dashboard")).content.decode()
    assert "1 accès inhabituel sur les 30 derniers jours." in body
    card = _card(body, "Protection des données")
    assert f'href="{reverse("privacy:rights")}"' in card and f'href="{reverse("privacy:dpo")}"' in card
    body = persona_client(world, "member").get(reverse("core:dashboard")).content.decode()
    assert "sera détruite" not in body and "demande de droits ouverte" not in body


@pytest.mark.parametrize(
    "query",
    [
        "?date_from=0001-01-01",
        "?date_to=9999-12-31",
        "?date_from=0001-01-01&date_to=9999-12-31",
        "?before=99999999999999999999999",
    ],
)
def test_audit_search_refuses_extreme_periods_with_a_message(world, query):
    response = persona_client(world, "dpo").get(reverse("privacy:audit_search") + query)
    assert response.status_code == 200
    assert response.context["events"] == []
    if "date" in query:
        assert "Choisissez une date entre 2000 et 2099." in response.content.decode().replace("&#x27;", "'")
