"""Catalogue v1 of the indicators, exactly as its data migration installs it.

The data is frozen in `cmer/training/migrations/0002_catalogue_v1.py`: a migration must give the
same database whatever the live code becomes, so it cannot import this module; this module reads
the migration instead, so there is one copy. It serves the code that needs v1 again: the tests
reload it after a transactional test has emptied the tables (`load`), and check its wording.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

# The module name starts with a digit, hence import_module rather than an import statement.
_frozen: Any = import_module("cmer.training.migrations.0002_catalogue_v1")

VERSION_NUMBER: int = _frozen.VERSION_NUMBER
# (code, name, description)
DOMAINS: list[tuple[str, str, str]] = _frozen.DOMAINS
# (domain code, indicator code, signal, label, description, examples)
INDICATORS: list[tuple[str, str, str, str, str, str]] = _frozen.INDICATORS
# (text, source)
CAVEATS: list[tuple[str, str]] = _frozen.CAVEATS


def load(CatalogueVersion: Any, Domain: Any, Indicator: Any, Caveat: Any) -> None:
    """Create version 1, approved, unless it already exists (idempotent, so tests can reload it)."""
    _frozen.load(CatalogueVersion, Domain, Indicator, Caveat)
