"""The permission matrix: every URL pattern, every persona, the expected answer.

Each app adds its rows in a `tests/matrix_<app>.py` module exposing `ROWS: dict[str, Row]`;
`all_rows()` collects them. `test_matrix.py` fails when a URL name has no row (docs/security.md #2).

A row says which personas (roles in cell A, plus "staff" and "outsider") may use the URL, and how
to build its arguments for an object of a given cell. Personas not allowed must get 403 or 404
(or a redirect for pages that precede the cell, such as login). For object URLs, every persona
of cell A and the outsider must get 404 for cell B's object.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tests
from tests.personas import ROLES, CellWorld, World

ALL = frozenset(ROLES)
CELL_MANAGERS = frozenset({"president", "coordinator"})


@dataclass(frozen=True)
class Row:
    method: str = "GET"
    allowed: frozenset[str] = ALL
    # Build URL kwargs for an object belonging to the given cell (None: URL takes no object).
    kwargs: Callable[[World, CellWorld], dict[str, Any]] | None = None
    data: Callable[[World, CellWorld], dict[str, Any]] = field(default=lambda w, c: {})
    # Status codes that count as "allowed" (the action happened or the page was shown).
    ok: frozenset[int] = frozenset({200, 302})
    # Statuses that count as refused for personas outside `allowed`.
    refused: frozenset[int] = frozenset({403, 404})
    # Pages that anyone may open (login, health check): only checked to not error.
    public: bool = False
    # Pages of the sign-in steps, tested in test_auth.py instead of the role matrix.
    auth_step: bool = False


def all_rows() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for info in pkgutil.iter_modules(tests.__path__):
        if info.name.startswith("matrix_"):
            module = importlib.import_module(f"tests.{info.name}")
            overlap = rows.keys() & module.ROWS.keys()
            assert not overlap, f"URL names declared twice in the matrix: {overlap}"
            rows.update(module.ROWS)
    return rows
