"""The French catalogue of the plural messages: cmer/locale/fr/LC_MESSAGES/django.po and .mo.

Messages are written in French, as the msgids. A singular msgid needs no catalogue entry (gettext
returns it as is); a plural one does: without an entry Django chooses between the two forms with
the English rule (n == 1), « 0 codes de secours » where French says « 0 code de secours ». This
command finds every plural message of the source (`ngettext` / `ngettext_lazy` calls in
cmer/**/*.py, `{% blocktranslate count %}…{% plural %}` in the templates) and has Babel write the
.po and compile the .mo, each message's own forms under French's rule (Babel's, from CLDR, as in
Django's own French catalogue): no GNU gettext needed. Both files are committed (a fresh
`make demo` has no build step); tests/test_plurals.py fails when they are out of step with the
source.

    python manage.py plural_catalogue           # rewrite both files
    python manage.py plural_catalogue --check   # exit 1 if they are stale, write nothing
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template import Engine
from django.templatetags.i18n import BlockTranslateNode

PLURAL_CALLS = {"ngettext", "ngettext_lazy"}
# A message context would need a msgctxt in the catalogue: refused until a message needs one.
CONTEXT_CALLS = {"npgettext", "npgettext_lazy"}
FIXED_DATE = datetime(2026, 12, 2, tzinfo=UTC)
PLURAL_TAG = re.compile(r"{%-?\s*plural\s*-?%}")
PO_PREAMBLE = (
    "# French plural forms of CMER's messages (0 and 1 take the singular).\n"
    "# Written by `python manage.py plural_catalogue`: do not edit by hand,\n"
    "# nor run `makemessages -l fr` (docs/conventions.md)."
)


class CatalogueError(Exception):
    """A plural message this command cannot put in the catalogue."""


@dataclass(frozen=True, order=True)
class PluralMessage:
    singular: str
    plural: str


def locale_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0]) / "fr" / "LC_MESSAGES"


def _python_messages(path: Path) -> list[PluralMessage]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in CONTEXT_CALLS:
            raise CatalogueError(f"{path}:{node.lineno}: {name}(): message contexts are not supported")
        if name not in PLURAL_CALLS:
            continue
        texts = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if len(texts) != 2:
            raise CatalogueError(f"{path}:{node.lineno}: {name}() needs two literal strings to be found")
        found.append(PluralMessage(texts[0], texts[1]))
    return found


def _template_messages(path: Path, engine: Engine) -> list[PluralMessage]:
    source = path.read_text(encoding="utf-8")
    found = []
    for node in engine.from_string(source).nodelist.get_nodes_by_type(BlockTranslateNode):
        if not isinstance(node, BlockTranslateNode) or not node.plural:  # narrows Node for mypy
            continue
        if node.message_context:
            raise CatalogueError(f"{path}: blocktranslate context: message contexts are not supported")
        # The msgids exactly as the tag asks for them at render time (« {{ n }} » → « %(n)s »).
        found.append(
            PluralMessage(node.render_token_list(node.singular)[0], node.render_token_list(node.plural)[0])
        )
    # A block tag that hides its nodes from the walk would hide a message: count the tags too.
    if len(found) != len(PLURAL_TAG.findall(source)):
        raise CatalogueError(f"{path}: {{% plural %}} tags and plural messages found differ in number")
    return found


def plural_messages(root: Path | None = None) -> dict[PluralMessage, list[str]]:
    """Every plural message under `root` (the cmer package), with the files it appears in."""
    root = root or Path(settings.BASE_DIR) / "cmer"
    engine = Engine.get_default()
    where: dict[PluralMessage, set[str]] = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".py":
            messages = _python_messages(path)
        elif "templates" in path.relative_to(root).parts[:-1]:
            messages = _template_messages(path, engine)
        else:
            continue
        for message in messages:
            where.setdefault(message, set()).add(path.relative_to(root.parent).as_posix())
    return {message: sorted(where[message]) for message in sorted(where)}


def catalogue_files(messages: dict[PluralMessage, list[str]]) -> dict[str, bytes]:
    """The .po and .mo, written by Babel: each entry's two forms are its own two msgids."""
    from io import BytesIO

    # Babel writes the catalogue; only writing it needs Babel (requirements-dev.txt), not serving it.
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    # A fixed date in the header: the files change only when a message does.
    catalogue = Catalog(
        locale="fr",
        project="CMER",
        header_comment=PO_PREAMBLE,
        version="1",
        msgid_bugs_address="-",
        last_translator="manage.py plural_catalogue",
        language_team="CMER",
        fuzzy=False,
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
    )
    # French by CLDR, as Django's own French catalogue: « one » for 0 and 1, « many » for exact
    # millions (« 1 000 000 de… »), « other » for the rest; the plural msgid serves both of these.
    for message, where in messages.items():
        forms = (message.singular, *[message.plural] * (catalogue.num_plurals - 1))
        catalogue.add((message.singular, message.plural), forms, locations=[(f, 0) for f in where])
    files: dict[str, bytes] = {}
    for name, write in (("django.po", write_po), ("django.mo", write_mo)):
        out = BytesIO()
        write(out, catalogue)
        files[name] = out.getvalue()
    return files


class Command(BaseCommand):
    help = "Write the French catalogue of the plural messages (cmer/locale/fr/LC_MESSAGES)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="exit 1 if the catalogue is stale")

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        try:
            messages = plural_messages()
        except CatalogueError as exc:
            raise CommandError(str(exc)) from exc
        files = {locale_dir() / name: content for name, content in catalogue_files(messages).items()}
        stale = [path for path, content in files.items() if not path.exists() or path.read_bytes() != content]
        if check:
            if stale:
                names = ", ".join(os.path.relpath(p, settings.BASE_DIR) for p in stale)
                raise CommandError(f"stale: {names}; run `python manage.py plural_catalogue`")
            self.stdout.write(f"French catalogue up to date: {len(messages)} plural messages")
            return
        locale_dir().mkdir(parents=True, exist_ok=True)
        for path in stale:
            path.write_bytes(files[path])
        self.stdout.write(
            f"French catalogue: {len(messages)} plural messages, {len(stale)} file(s) rewritten"
        )
