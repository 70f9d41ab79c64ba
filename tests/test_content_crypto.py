"""Free-text personal content encrypted and bound to its model, row and cell (issue 12 item 7).

Canaries written through the real services must not appear in the raw database (the SQLite
file's bytes, or the columns read by a raw SELECT on PostgreSQL); a ciphertext copied to another
row, or a row moved to another cell, fails to decrypt; dumpdata gives ciphertext only.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from cmer.cases.models import ActionUpdate, Person, Transition
from cmer.cases.states import State
from cmer.core.crypto import DecryptionError
from cmer.referrals.models import Observation, Referral
from tests.factories import make_case, make_person, make_referral
from tests.factories_meetings import make_action

pytestmark = pytest.mark.django_db(transaction=True)

CANARIES = {
    "description": "Canarydescriptionxq",
    "fact": "Canaryfactxq",
    "qualify": "Canaryqualifyxq",
    "close": "Canaryclosexq",
    "action": "Canaryactionxq",
    "last_name": "Canarynamexq",
}


def _write_everything(world) -> None:
    """Every kind of encrypted free text, written through save() as the services do."""
    person = make_person(world.a.cell, last_name=CANARIES["last_name"])
    case = make_case(world.a, State.SUPPORT, person=person)
    referral = make_referral(world.a, case=case, description=CANARIES["description"])
    fact = Observation.objects.get(referral=referral)
    fact.fact = CANARIES["fact"]
    fact.save()
    for note in (CANARIES["qualify"], CANARIES["close"]):
        Transition.objects.create(
            case=case,
            from_state=State.RECEIVED,
            to_state=State.SUPPORT,
            note=note,
            by=world.a.members["coordinator"],
        )
    action = make_action(world.a)
    action.result_note = CANARIES["action"]
    action.save()
    ActionUpdate.objects.create(
        action=action, by=world.a.members["coordinator"], result="done", note=CANARIES["action"]
    )


def _raw_bytes() -> bytes:
    if connection.vendor == "sqlite":
        name = connection.settings_dict["NAME"]
        connection.close()  # everything on disk, WAL included
        data = b""
        for suffix in ("", "-wal", "-journal"):
            path = Path(f"{name}{suffix}")
            if path.exists():
                data += path.read_bytes()
        return data
    parts = []
    with connection.cursor() as cursor:
        for table, column in (
            ("referrals_referral", "description"),
            ("referrals_observation", "fact"),
            ("cases_transition", "note"),
            ("cases_action", "result_note"),
            ("cases_actionupdate", "note"),
            ("cases_person", "last_name"),
        ):
            cursor.execute(f"SELECT {column} FROM {table}")
            parts.extend(str(row[0]) for row in cursor.fetchall())
    return "\n".join(parts).encode()


def test_no_description_fact_or_note_in_clear_in_the_raw_database(world):
    _write_everything(world)
    raw = _raw_bytes().lower()
    for name, canary in CANARIES.items():
        assert canary.lower().encode() not in raw, f"{name} in clear in the database"
    # …and the application still reads them.
    referral = Referral.objects.get(description__isnull=False)
    assert referral.description == CANARIES["description"]
    assert Observation.objects.get(referral=referral).fact == CANARIES["fact"]
    notes = {t.note for t in Transition.objects.all()}
    assert CANARIES["qualify"] in notes and CANARIES["close"] in notes


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _set_raw(table: str, column: str, pk: int, value) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def test_a_ciphertext_copied_to_another_row_or_cell_fails_to_decrypt(world):
    mine = make_person(world.a.cell, last_name="Alpha")
    same_cell = make_person(world.a.cell, last_name="Beta")
    other_cell = make_person(world.b.cell, last_name="Gamma")
    token = _raw("cases_person", "last_name", mine.pk)
    for target in (same_cell, other_cell):
        _set_raw("cases_person", "last_name", target.pk, token)
        with pytest.raises(DecryptionError):
            Person.objects.get(pk=target.pk).last_name
    # The whole row moved to another cell fails too.
    _set_raw("cases_person", "cell_id", mine.pk, world.b.cell.pk)
    with pytest.raises(DecryptionError):
        Person.objects.get(pk=mine.pk).last_name

    # Free text too: a description copied to another signalement, a fact to another fact.
    first = make_referral(world.a, description="Première description factuelle.")
    second = make_referral(world.b, description="Seconde description factuelle.")
    _set_raw(
        "referrals_referral", "description", second.pk, _raw("referrals_referral", "description", first.pk)
    )
    with pytest.raises(DecryptionError):
        Referral.objects.get(pk=second.pk).description
    fact_a, fact_b = Observation.objects.get(referral=first), Observation.objects.get(referral=second)
    _set_raw("referrals_observation", "fact", fact_b.pk, _raw("referrals_observation", "fact", fact_a.pk))
    with pytest.raises(DecryptionError):
        Observation.objects.get(pk=fact_b.pk).fact
    assert Referral.objects.get(pk=first.pk).description == "Première description factuelle."


def test_writes_that_cannot_bind_the_row_are_refused(world):
    make_referral(world.a)
    with pytest.raises(TypeError):
        Referral.objects.update(description="en clair")


def test_dumpdata_of_persons_and_free_text_gives_ciphertext_only(world):
    case = make_case(world.a, person=make_person(world.a.cell, last_name="Dumpcanaryxq"))
    make_referral(world.a, case=case, description="Dumpdescxq")
    out = io.StringIO()
    call_command("dumpdata", "cases.person", "referrals.referral", stdout=out)
    text = out.getvalue()
    assert "Dumpcanaryxq" not in text and "Dumpdescxq" not in text
    rows = json.loads(text)
    assert rows and all(
        r["fields"]["last_name"].startswith("v1:") for r in rows if r["model"] == "cases.person"
    )
