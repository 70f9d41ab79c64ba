"""French plurals: 0 and 1 take the singular, « 0 code de secours » (docs/conventions.md, « Views and
templates »).

The msgids are French. Each plural message needs an entry in the French catalogue
(cmer/locale/fr/LC_MESSAGES, written by `manage.py plural_catalogue`), whose header carries the
French rule (0 and 1 singular): without one Django chooses with the English rule (n == 1), « Il vous reste
0 codes de secours ».
"""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from cmer.accounts.models import BackupCode, BackupCodeDevice, backup_code_digest
from cmer.core.management.commands.plural_catalogue import (
    CatalogueError,
    PluralMessage,
    locale_dir,
    plural_messages,
)
from tests.personas import persona_client

BACKUP_CODES = PluralMessage(
    "Il vous reste %(counter)s code de secours.", "Il vous reste %(counter)s codes de secours."
)
MISSING = "<no entry>"


class _Missing(gettext.NullTranslations):
    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return MISSING


def compiled_catalogue() -> gettext.GNUTranslations:
    """The .mo Django loads, read alone: a message without an entry answers MISSING."""
    with (locale_dir() / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    catalogue.add_fallback(_Missing())
    return catalogue


def missing_entries(messages: list[PluralMessage], catalogue: gettext.GNUTranslations) -> list[PluralMessage]:
    """The messages whose compiled entry is absent or does not give singular for 0 and 1, plural for 2."""
    return [
        m
        for m in messages
        if [catalogue.ngettext(m.singular, m.plural, n) for n in (0, 1, 2)]
        != [m.singular, m.singular, m.plural]
    ]


# --- (1) a real message under French ----------------------------------------------------------


def test_french_takes_the_singular_for_0_and_1():
    assert BACKUP_CODES in plural_messages(), "a message of the app (cmer/templates/accounts/security.html)"
    with translation.override("fr"):
        said = [
            translation.ngettext(BACKUP_CODES.singular, BACKUP_CODES.plural, n) % {"counter": n}
            for n in range(3)
        ]
    assert said == [
        "Il vous reste 0 code de secours.",
        "Il vous reste 1 code de secours.",
        "Il vous reste 2 codes de secours.",
    ]


# --- (2) every plural message of the source has its entry ---------------------------------------


def test_every_plural_message_of_the_source_is_in_the_compiled_catalogue():
    messages = list(plural_messages())
    assert len(messages) >= 30  # the enumeration found the app's messages, Python and templates
    assert missing_entries(messages, compiled_catalogue()) == [], "run `python manage.py plural_catalogue`"
    # And Django, with its own French catalogue beside ours, says the same.
    with translation.override("fr"):
        for m in messages:
            assert [translation.ngettext(m.singular, m.plural, n) for n in (0, 1, 2)] == [
                m.singular,
                m.singular,
                m.plural,
            ], m


def test_the_guard_catches_a_plural_message_without_entry(tmp_path: Path):
    source = tmp_path / "cmer"
    (source / "probe" / "templates").mkdir(parents=True)
    (source / "probe" / "views.py").write_text(
        'from django.utils.translation import ngettext\n\nngettext("%(n)d sonde", "%(n)d sondes", 0)\n'
    )
    (source / "probe" / "templates" / "probe.html").write_text(
        "{% load i18n %}{% if x %}{% blocktranslate count n=x %}{{ n }} gabarit sonde"
        "{% plural %}{{ n }} gabarits sondes{% endblocktranslate %}{% endif %}"
    )
    probes = list(plural_messages(source))
    assert probes == [
        PluralMessage("%(n)d sonde", "%(n)d sondes"),
        PluralMessage("%(n)s gabarit sonde", "%(n)s gabarits sondes"),
    ]
    assert missing_entries([*plural_messages(), *probes], compiled_catalogue()) == probes


@pytest.mark.parametrize(
    "path, text",
    [
        ("views.py", "from django.utils.translation import ngettext\n\nngettext(ONE, MANY, 2)\n"),
        ("views.py", 'npgettext("ctx", "%(n)d sonde", "%(n)d sondes", 2)\n'),
        (
            "templates/p.html",
            "{% load i18n %}{% blocktranslate count n=x context 'c' %}a{% plural %}b{% endblocktranslate %}",
        ),
    ],
)
def test_a_plural_message_the_catalogue_cannot_hold_is_refused(tmp_path: Path, path: str, text: str):
    (tmp_path / "cmer" / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cmer" / path).write_text(text)
    with pytest.raises(CatalogueError):
        plural_messages(tmp_path / "cmer")


def test_the_committed_catalogue_is_the_one_the_command_writes(settings, tmp_path: Path):
    call_command("plural_catalogue", "--check")  # the .po as well as the .mo, byte for byte
    settings.LOCALE_PATHS = [tmp_path]
    with pytest.raises(CommandError, match="stale"):
        call_command("plural_catalogue", "--check")
    call_command("plural_catalogue")
    call_command("plural_catalogue", "--check")
    assert (
        b"Plural-Forms: nplurals=3; plural=(n == 0 || n == 1) ? 0"
        in (tmp_path / "fr/LC_MESSAGES/django.mo").read_bytes()
    )


# --- (3) the pages ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "codes, text",
    [
        (0, "Il vous reste 0 code de secours."),
        (1, "Il vous reste 1 code de secours."),
        (2, "Il vous reste 2 codes de secours."),
    ],
)
def test_the_security_page_counts_the_backup_codes_in_french(world, codes: int, text: str):
    client = persona_client(world, "member")
    device = BackupCodeDevice.objects.create(user=world.a.user("member"), name="Codes de secours")
    for i in range(codes):
        BackupCode.objects.create(device=device, digest=backup_code_digest(device.pk, f"1234567{i}"))
    response = client.get(reverse("accounts:backup_codes"))
    assert response.status_code == 200
    assert text in response.content.decode()


@pytest.mark.django_db
def test_the_dpo_console_says_0_demande_ouverte(world):
    response = persona_client(world, "dpo").get(reverse("privacy:dpo"))
    assert response.status_code == 200
    assert "0 demande de droits ouverte." in response.content.decode()
