"""The DPO reads the audit trail in French: labels, names and references, never codes or ids.

The events keep their codes and ids (docs/rules.md §9); only the pages translate them.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmer.audit.labels import FALLBACK, action_label, has_label, target_label
from cmer.audit.services import record
from cmer.cases.states import State
from cmer.privacy.trail import account_names, describe
from tests.factories import make_case
from tests.factories_exchange import make_transmission
from tests.personas import persona_client
from tests.test_french import visible_text

CMER = Path(__file__).resolve().parent.parent / "cmer"
# A dotted code in a string literal passed where an action goes: record(action=…), the refusal
# of @requires(…, "…") / deny(request, "…"), or a variable later given to record().
LITERAL = re.compile(r'(?<![\w.])f?"([a-z_]+\.[a-z_]+(?:\.[a-z_]+)?)"')
CALL = re.compile(r'(?:action=|requires\([\w.]+,\s*|deny\(\w+,\s*)(f?)"([^"]+)"')


def action_codes() -> tuple[set[str], set[str]]:
    """(exact codes, f-string families) found in the code base, model labels left out."""
    exact: set[str] = set()
    families: set[str] = set()
    for path in CMER.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        for is_f, code in CALL.findall(text):
            if is_f:
                families.add(code.split("{", 1)[0])
            elif "." in code:
                exact.add(code)
        namespaces = {c.split(".", 1)[0] for c in exact}
        for code in LITERAL.findall(text):
            exact.add(code) if code.split(".", 1)[0] in namespaces else None
    model_labels = {m._meta.label_lower for m in apps.get_models()}
    exact = {c for c in exact if c not in model_labels and not c.endswith("_id")}
    return exact, families


def test_every_action_recorded_in_the_code_has_a_french_label():
    exact, families = action_codes()
    assert len(exact) > 150 and {"case.read", "case.transition", "dpo.console"} <= exact
    assert families >= {"admin.", "meeting.export_", "dpo.document_"}
    missing = sorted(c for c in exact if not has_label(c)) + sorted(
        f for f in families if not has_label(f + "x")
    )
    assert missing == [], "Label these audit actions in their app's apps.py: " + ", ".join(missing)
    assert action_label("case.read") == "Lecture d'une situation"
    assert action_label("case.transition") == "Changement d'état d'une situation"
    assert action_label("admin.user.changed").startswith("Modification dans l'administration")
    assert action_label("never.recorded") == str(FALLBACK) == "Autre événement"
    assert target_label("cases.case") == "Situation" and target_label("no.such") == "Autre objet"


@pytest.mark.django_db
def test_the_audit_search_names_people_actions_and_objects_in_bulk(world):
    a = world.a
    coordinator, dpo = a.members["coordinator"], a.members["dpo"]
    cases = [make_case(a, State.RECEIVED) for _ in range(3)]
    transmission = make_transmission(a)

    def trail(n: int) -> None:
        for case in cases[:n]:
            record(action="case.transition", actor=coordinator.user, cell=a.cell.pk, target=case)
        record(action="transmission.read", actor=coordinator.user, cell=a.cell.pk, target=transmission)
        record(action="case.read", actor=world.b.user("coordinator"), cell=a.cell.pk, target=cases[0])

    client = persona_client(world, "dpo")
    url = reverse("privacy:audit_search")
    trail(1)
    client.get(url)  # warm the session and the per-process caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    trail(3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few), "one query per row: resolve names and references in bulk"

    body = response.content.decode()
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.split("<tbody>", 1)[1])))
    assert "Changement d'état d'une situation" in text and "Lecture d'une transmission" in text
    assert f"{coordinator.user.get_full_name()} ({coordinator.get_role_display()})" in text
    assert "Compte extérieur à la cellule" in text  # a name the DPO's cell does not hold
    assert not re.search(r"#\d|cases\.case|case\.transition", text)
    # The select shows labels; its values stay codes and ids, so the filters still work.
    assert '<option value="case.transition">Changement d&#x27;état d&#x27;une situation</option>' in body
    filtered = client.get(url + f"?actor={coordinator.user_id}&action=case.transition&target_type=cases.case")
    assert {e.target_id for e in filtered.context["events"]} == {str(c.pk) for c in cases}
    # One option per label: the refused attempt and the act done are found together.
    record(action="meeting.convene", actor=coordinator.user, cell=a.cell.pk, outcome="denied")
    record(action="meeting.convened", actor=coordinator.user, cell=a.cell.pk)
    assert body.count(">Convocation d&#x27;une réunion</option>") == 1
    for code in ("meeting.convene", "meeting.convened"):
        found = client.get(url + f"?action={code}").context["events"]
        assert sorted(e.action for e in found) == ["meeting.convene", "meeting.convened"]

    # References only where the reader may see the object: the DPO reads no situation.
    events = list(response.context["events"])
    as_dpo = {r.target for r in describe(events, dpo, account_names(dpo))}
    assert as_dpo >= {"Situation", "Transmission"} and not any("-" in t for t in as_dpo)
    sample = [next(e for e in events if e.target_type == t) for t in ("cases.case", "exchange.transmission")]
    with CaptureQueriesContext(connection) as one:
        describe(sample, coordinator, {})
    with CaptureQueriesContext(connection) as all_rows:
        as_coordinator = {r.target for r in describe(events, coordinator, {})}
    assert len(all_rows) == len(one) == 2, "one query per object type, whatever the rows"
    assert {f"Situation {c.reference}" for c in cases} <= as_coordinator
    assert f"Transmission {transmission.reference}" in as_coordinator


@pytest.mark.django_db
def test_the_dpo_console_lists_accounts_by_name_and_role_without_ids(world):
    client = persona_client(world, "dpo")
    for name in ("privacy:accounts", "privacy:charters"):
        text = visible_text(client.get(reverse(name)).content.decode())
        assert not re.search(r"(?<![&\w])#\d", text), name
    body = client.get(reverse("privacy:accounts")).content.decode()
    assert world.a.user("coordinator").get_full_name() in body
