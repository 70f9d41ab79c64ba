"""manage.py generate_scale: fake data at the scales of docs/performance.md.

The test database holds the personas world (real-looking, non-generated cells), so a plain run is
refused and the generating tests use --force on top of it; the chain then continues from the
world's head and must still verify as a whole.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from cmer.accounts.models import Cell, User
from cmer.audit.chain import verify
from cmer.audit.models import AuditEvent
from cmer.cases.models import Case, Person
from cmer.cases.persons import find_known_persons
from cmer.cases.states import State
from cmer.scale.generator import GENERATED_INSEE_PREFIX

SCALE = 0.01  # 1 cell, 20 persons, 5,000 audit events: about a second


def generate(seed: int = 7) -> None:
    call_command("generate_scale", scale=SCALE, seed=seed, force=True, no_progress=True)


def fingerprint() -> tuple[object, ...]:
    """What the generation made, without database ids, salts or anything else run-dependent."""
    generated = Cell.objects.filter(insee_code__startswith=GENERATED_INSEE_PREFIX)
    persons = sorted(
        (p.last_name, p.first_name, p.birth_date, p.address)
        for p in Person.objects.filter(cell__in=generated)
    )
    cases = sorted(Case.objects.filter(cell__in=generated).values_list("reference", "state"))
    users = sorted(User.objects.filter(memberships__cell__in=generated).values_list("email", "last_name"))
    head_seq = AuditEvent.objects.filter(cell_id__in=generated.values("pk")).order_by("seq").first()
    actions = list(
        AuditEvent.objects.filter(seq__gte=head_seq.seq if head_seq else 0)
        .order_by("seq")
        .values_list("action", "target_type")
    )
    return (list(generated.values_list("name", "code")), persons, cases, users, actions)


def test_refuses_a_database_with_real_cells(world) -> None:
    before = (Cell.objects.count(), AuditEvent.objects.count())
    with pytest.raises(CommandError, match="real"):
        call_command("generate_scale", scale=SCALE, no_progress=True)
    assert (Cell.objects.count(), AuditEvent.objects.count()) == before


def test_generated_data_is_encrypted_searchable_and_the_chain_verifies(world) -> None:
    before = AuditEvent.objects.count()
    generate()
    cells = Cell.objects.filter(insee_code__startswith=GENERATED_INSEE_PREFIX)
    assert cells.count() == 1
    assert AuditEvent.objects.count() - before == 5000
    result = verify()
    assert result.ok, result
    # Every state of a situation is present, even at this tiny scale.
    assert set(Case.objects.filter(cell__in=cells).values_list("state", flat=True)) == set(State.values)
    # Identity through the real encrypted fields and the real blind index.
    person = Person.objects.filter(cell__in=cells).first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_name FROM cases_person WHERE id = %s", [person.pk])
        stored = cursor.fetchone()[0]
    assert stored != person.last_name and person.last_name not in stored
    found = find_known_persons(
        person.cell_id, person.last_name, person.first_name, date.fromisoformat(person.birth_date)
    )
    assert list(found) == [person]


def test_same_seed_same_data_other_seed_other_data(world) -> None:
    prints = []
    for seed in (7, 7, 8):
        with transaction.atomic():
            generate(seed)
            prints.append(fingerprint())
            transaction.set_rollback(True)
    assert prints[0] == prints[1]
    assert prints[0] != prints[2]
