"""The French catalogue of the plural messages: cmer/locale/fr/LC_MESSAGES/django.po and .mo.

Messages are written in French, as the msgids. A singular msgid needs no catalogue entry (gettext
returns it as is); a plural one does: without an entry Django chooses between the two forms with
the English rule (n == 1), « 0 codes de secours » where French says « 0 code de secours »
(n > 1). This command finds every plural message of the source (`ngettext` / `ngettext_lazy` calls
in cmer/**/*.py, `{% blocktranslate count %}…{% plural %}` in the templates) and writes each one
with its own two forms under the French rule, then compiles the .mo in Python: neither refreshing
nor serving the catalogue needs GNU gettext. Both files are committed (a fresh `make demo` has no
build step); tests/test_plurals.py fails when they are out of step with the source.

    python manage.py plural_catalogue           # rewrite both files
    python manage.py plural_catalogue --check   # exit 1 if they are stale, write nothing
"""

from __future__ import annotations

import ast
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template import Engine
from django.templatetags.i18n import BlockTranslateNode

PLURAL_CALLS = {"ngettext", "ngettext_lazy"}
# A message context would need a msgctxt in the catalogue: refused until a message needs one.
CONTEXT_CALLS = {"npgettext", "npgettext_lazy"}
PLURAL_TAG = re.compile(r"{%-?\s*plural\s*-?%}")
HEADER = (
    "Project-Id-Version: CMER\n"
    "Language: fr\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Plural-Forms: nplurals=2; plural=(n > 1);\n"
)
PO_PREAMBLE = (
    "# French plural forms of CMER's messages (French: 0 and 1 take the singular).\n"
    "# Generated from the source by `python manage.py plural_catalogue`: do not edit by hand,\n"
    "# and do not run `makemessages -l fr` (docs/conventions.md, « Views and templates »).\n"
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


def _po_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def po_text(messages: dict[PluralMessage, list[str]]) -> str:
    lines = [
        PO_PREAMBLE + 'msgid ""',
        'msgstr ""',
        *(_po_string(line + "\n") for line in HEADER.splitlines()),
    ]
    for message, files in messages.items():
        lines += ["", *(f"#: {f}" for f in files)]
        lines += [f"msgid {_po_string(message.singular)}", f"msgid_plural {_po_string(message.plural)}"]
        lines += [f"msgstr[0] {_po_string(message.singular)}", f"msgstr[1] {_po_string(message.plural)}"]
    return "\n".join(lines) + "\n"


def mo_bytes(messages: dict[PluralMessage, list[str]]) -> bytes:
    """The GNU .mo format (little-endian, no hash table, which Python's gettext never reads)."""
    entries = {b"": HEADER.encode()}
    for message in messages:
        forms = message.singular.encode() + b"\0" + message.plural.encode()
        entries[forms] = forms  # msgstr[0] = the singular msgid, msgstr[1] = the plural one
    keys = sorted(entries)
    ids_start = 28 + 16 * len(keys)
    strs_start = ids_start + sum(len(k) + 1 for k in keys)
    ids = strs = b""
    id_table: list[int] = []
    str_table: list[int] = []
    for key in keys:
        id_table += [len(key), ids_start + len(ids)]
        str_table += [len(entries[key]), strs_start + len(strs)]
        ids += key + b"\0"
        strs += entries[key] + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    return header + struct.pack(f"<{len(id_table) * 2}I", *id_table, *str_table) + ids + strs


class Command(BaseCommand):
    help = "Write the French catalogue of the plural messages (cmer/locale/fr/LC_MESSAGES)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="exit 1 if the catalogue is stale")

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        try:
            messages = plural_messages()
        except CatalogueError as exc:
            raise CommandError(str(exc)) from exc
        files = {
            locale_dir() / "django.po": po_text(messages).encode(),
            locale_dir() / "django.mo": mo_bytes(messages),
        }
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
