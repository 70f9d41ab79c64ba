"""Identity at rest: encrypted, searchable only by exact blind index, within one cell."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection

from cmer.cases.models import Person
from cmer.cases.persons import find_known_persons, is_minor
from cmer.core.crypto import DecryptionError
from tests.factories import make_case, make_person, make_referral

CANARY = "Zyxwvutcanary"


def test_raw_table_holds_no_plaintext_identity(world):
    person = make_person(world.a.cell, last_name=CANARY, first_name="Quentinette", address="12 rue Canari")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_name, first_name, birth_date, address FROM cases_person WHERE id = %s", [person.pk]
        )
        raw = cursor.fetchone()
    joined = " ".join(raw)
    assert CANARY.lower() not in joined.lower()
    assert "quentinette" not in joined.lower()
    assert "canari" not in joined.lower()
    assert "2008-03-14" not in joined
    assert all(value.startswith("v1:") for value in raw)
    assert Person.objects.get(pk=person.pk).last_name == CANARY


def test_flipped_ciphertext_bit_fails_with_clear_error(world):
    person = make_person(world.a.cell, last_name=CANARY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_name FROM cases_person WHERE id = %s", [person.pk])
        token = cursor.fetchone()[0]
        prefix, kid, body = token.split(":", 2)
        # Flip one bit inside the ciphertext (not the padding), keeping valid base64url.
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        pos = 20
        flipped = alphabet[alphabet.index(body[pos]) ^ 1]
        tampered = f"{prefix}:{kid}:{body[:pos]}{flipped}{body[pos + 1 :]}"
        cursor.execute("UPDATE cases_person SET last_name = %s WHERE id = %s", [tampered, person.pk])
    loaded = Person.objects.get(pk=person.pk)  # decrypted when read: the binding needs the row
    with pytest.raises(DecryptionError, match=r"cannot decrypt field 'cases\.person\.last_name'"):
        loaded.last_name


def test_known_person_found_by_exact_normalised_match_in_same_cell_only(world):
    person = make_person(
        world.a.cell, last_name="Dupont-Élodie", first_name="Léa", birth_date=date(2009, 1, 2)
    )
    make_person(world.b.cell, last_name="Dupont-Élodie", first_name="Léa", birth_date=date(2009, 1, 2))
    found = find_known_persons(world.a.cell, "  DUPONT elodie ", "lea", date(2009, 1, 2))
    assert list(found) == [person]
    assert not find_known_persons(world.a.cell, "Dupont-Élodie", "Léa", date(2009, 1, 3)).exists()
    assert not find_known_persons(world.a.cell, "Dupont", "Léa", date(2009, 1, 2)).exists()


def test_is_minor_on_birthday_boundary():
    assert is_minor(date(2008, 6, 2), date(2026, 6, 1))
    assert not is_minor(date(2008, 6, 1), date(2026, 6, 1))


def test_factories_build_cases_and_referrals(world):
    case = make_case(world.a, state="to_review")
    referral = make_referral(world.a, case=case, observations=3)
    assert case.reference.startswith("AAA-")
    assert case.state == "to_review"
    assert referral.observations.count() == 3
    other = make_case(world.a)
    assert int(other.reference[-4:]) == int(case.reference[-4:]) + 1
