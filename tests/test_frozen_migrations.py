"""Catalogue data migrations are frozen: they import nothing from the live code (docs/rules.md §7).

A data migration that imports `cmer.training.catalogue_v1` (or any live module) would install
different data the day that module changes, and old databases would no longer match new ones.
"""

from __future__ import annotations

import ast
from importlib import import_module
from pathlib import Path

import pytest

import cmer.training.migrations

MIGRATIONS = Path(cmer.training.migrations.__file__).parent


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (deferred imports inside functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            names.add("<dynamic import>")
    return names


def test_training_migrations_import_nothing_from_cmer():
    files = sorted(MIGRATIONS.glob("0*.py"))
    assert any(f.name.startswith("0002_catalogue_v1") for f in files)
    offenders = {
        f.name: sorted(m for m in _imported_modules(f) if m.split(".")[0] == "cmer" or m.startswith("<"))
        for f in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


@pytest.mark.django_db
def test_migrated_catalogue_is_the_frozen_data():
    """What migrating installed is what `catalogue_v1` serves, so tests reload the same rows."""
    from cmer.training import catalogue_v1
    from cmer.training.models import Caveat, Indicator

    frozen = import_module("cmer.training.migrations.0002_catalogue_v1")
    assert catalogue_v1.INDICATORS is frozen.INDICATORS and catalogue_v1.CAVEATS is frozen.CAVEATS
    rows = Indicator.objects.filter(version__number=1).order_by("order")
    installed = [
        (i.domain.code, i.code, i.signal, i.label, i.description, i.examples)
        for i in rows.select_related("domain")
    ]
    assert installed == list(frozen.INDICATORS) and len(installed) == 21
    caveats = Caveat.objects.filter(version__number=1).order_by("order").values_list("text", "source")
    assert list(caveats) == list(frozen.CAVEATS)
