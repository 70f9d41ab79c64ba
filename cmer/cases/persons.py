"""Identity of the people a situation is about: encrypted at rest, found only by exact match."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from cmer.accounts.models import Cell
from cmer.cases.models import Person, PersonQuerySet
from cmer.core import crypto


def person_name_index(last_name: str, first_name: str, birth_date: date) -> str:
    return crypto.blind_index(last_name, first_name, birth_date.isoformat())


@transaction.atomic
def person_create(
    *,
    cell: Cell,
    last_name: str,
    first_name: str,
    birth_date: date,
    sex: str = "X",
    address: str = "",
    phone: str = "",
    email: str = "",
    situation: str = "",
    legal_representatives: str = "",
) -> Person:
    """A new Person of the cell; the identity fields are encrypted by EncryptedTextField."""
    return Person.objects.create(
        cell=cell,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        birth_date=birth_date.isoformat(),
        birth_year=birth_date.year,
        sex=sex,
        address=address,
        phone=phone,
        email=email,
        situation=situation,
        legal_representatives=legal_representatives,
        name_index=person_name_index(last_name, first_name, birth_date),
        key_id=crypto.current_key_id(),
    )


def find_known_persons(cell: Cell | int, last_name: str, first_name: str, birth_date: date) -> PersonQuerySet:
    """People of this cell only with exactly this name and birth date (case and accents ignored).

    The whole cell, not a membership's scope: intake must tell the coordinator that a person is
    already known; views narrow the cases they show with Case.objects.visible_to.
    """
    cell_id = cell if isinstance(cell, int) else cell.pk
    return Person.objects.filter(
        cell_id=cell_id, name_index=person_name_index(last_name, first_name, birth_date)
    )


def is_minor(birth_date: date, on: date) -> bool:
    """Under 18 on the given day."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    age = on.year - birth_date.year - (0 if had_birthday else 1)
    return age < 18
