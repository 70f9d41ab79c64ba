"""rotate_keys covers every encrypted field of every model (issue #12 item 7, #14 item 6).

The fields are enumerated here from the installed models, not from a list: a new encrypted field
with no row in `_one_of_everything` fails the structural test until the test writes one. After a
rotation with the old key removed, every value reads back and a TOTP code still verifies; no
column of any table (encrypted field or not) still holds a token under the old key.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, models
from django.test import override_settings
from django_otp.oath import totp

from cmer.accounts.models import TOTPDevice
from cmer.cases.models import ActionUpdate, Transition
from cmer.cases.states import State
from cmer.core.fields import EncryptedTextField
from cmer.privacy import keys
from tests.factories import make_case, make_person, make_referral
from tests.factories_meetings import make_action

pytestmark = pytest.mark.django_db

NEW = "k2:rotation-every-field-new-secret-0123"
OLD = django_settings.CMER_FIELD_KEYS
OLD_ID = OLD.split(":", 1)[0]
TOTP_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test secret


def every_encrypted_field() -> set[tuple[str, str]]:
    """(model label, field name) of every encrypted field, of any class deriving from ours."""
    return {
        (model._meta.label_lower, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if isinstance(f, EncryptedTextField)
    }


def _text_columns() -> list[tuple[str, str]]:
    """Every text column of every table: where a token could be stored, encrypted field or not."""
    found = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.CharField | models.TextField):
                found.append((model._meta.db_table, f.column))
    return found


def _one_of_everything(world):  # type: ignore[no-untyped-def]
    """Rows for every encrypted field, written under the old key. Returns the expected plaintexts."""
    cw = world.a
    with override_settings(CMER_FIELD_KEYS=OLD):
        person = make_person(
            cw.cell,
            last_name="Rotation",
            first_name="Camille",
            birth_date=date(2009, 5, 6),
            address="3 rue des Clés",
            phone="0102030405",
            email="camille@example.org",
            situation="Lycéenne",
            legal_representatives="Mère",
        )
        case = make_case(cw, person=person)
        referral = make_referral(cw, case=case, description="Description à tourner.", observations=1)
        transition = Transition.objects.create(
            case=case,
            from_state=State.RECEIVED,
            to_state=State.TO_REVIEW,
            by=cw.members["coordinator"],
            note="Motif à tourner.",
        )
        action = make_action(cw)
        action.result_note = "Résultat à tourner."
        action.save()
        update = ActionUpdate.objects.create(
            action=action, by=cw.members["coordinator"], result="done", note="Note à tourner."
        )
        device = TOTPDevice.objects.create(user=cw.members["coordinator"].user, name="rot", key=TOTP_HEX)
    return {
        ("cases.person", person.pk): {
            "last_name": "Rotation",
            "first_name": "Camille",
            "birth_date": "2009-05-06",
            "address": "3 rue des Clés",
            "phone": "0102030405",
            "email": "camille@example.org",
            "situation": "Lycéenne",
            "legal_representatives": "Mère",
        },
        ("referrals.referral", referral.pk): {"description": "Description à tourner."},
        ("referrals.observation", referral.observations.get().pk): {"fact": "Fait constaté le jour même."},
        ("cases.transition", transition.pk): {"note": "Motif à tourner."},
        ("cases.action", action.pk): {"result_note": "Résultat à tourner."},
        ("cases.actionupdate", update.pk): {"note": "Note à tourner."},
        ("accounts.totpdevice", device.pk): {"key": TOTP_HEX},
    }


def test_rotate_keys_plans_every_encrypted_field_and_the_test_writes_each(world):
    planned = {(p.label, f.name) for p in keys.plans() for f in p.fields}
    assert planned == every_encrypted_field()
    written = {(label, name) for (label, _pk), values in _one_of_everything(world).items() for name in values}
    missing = every_encrypted_field() - written
    assert not missing, f"write a row for these encrypted fields in _one_of_everything: {sorted(missing)}"


def test_after_rotation_without_the_old_key_every_field_reads_and_totp_verifies(world, settings):
    expected = _one_of_everything(world)
    settings.CMER_FIELD_KEYS = f"{NEW},{OLD}"
    call_command("rotate_keys", "--wet-run", "--batch-size", "2")

    # No column of any table holds a token under the old key any more.
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            cursor.execute(
                f"SELECT COUNT(*) FROM {quote(table)} WHERE SUBSTR({quote(column)}, 1, %s) = %s",
                [len(f"v1:{OLD_ID}:"), f"v1:{OLD_ID}:"],
            )
            assert cursor.fetchone()[0] == 0, f"{table}.{column} still under {OLD_ID}"

    settings.CMER_FIELD_KEYS = NEW
    for (label, pk), values in expected.items():
        obj = apps.get_model(label).objects.get(pk=pk)
        assert {name: getattr(obj, name) for name in values} == values, label
    device = TOTPDevice.objects.get(pk=next(pk for (label, pk) in expected if label == "accounts.totpdevice"))
    assert device.verify_token(f"{totp(bytes.fromhex(TOTP_HEX)):06d}") is True
    assert keys.verify_all().ok

    # Resumable and idempotent: a second run has nothing left to do.
    assert keys.pending_by_model() == {}
    report = keys.rotate_keys()
    assert (report.rotated, report.batches, report.finished) == (0, 0, True)
