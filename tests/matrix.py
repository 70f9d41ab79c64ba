"""The permission matrix: every URL pattern, every persona, the exact expected answer.

Each app adds its rows in a `tests/matrix_<app>.py` module exposing `ROWS: dict[str, Row]`;
`all_rows()` collects them. `test_matrix.py` fails when a URL name has no row (docs/security.md #2).

Row format (every field but `allowed` has a default; keep rows one or a few lines):

    "cases:close": Row(
        method="POST",                                  # "GET" (default) or "POST"
        allowed=CELL_MANAGERS,                          # personas: roles of cell A, "staff", "outsider"
        kwargs=lambda w, c: {"pk": make_case(c).pk},   # URL kwargs for an object of cell c (or None)
        data=lambda w, c: {"reason": "..."},           # POST body for cell c
        given=None,                                     # or a callable preparing the database
        redirect_to=to("cases:detail", pk="pk"),      # allowed → 302 to exactly this URL
        effect=lambda w, c, kw: Case.objects.get(pk=kw["pk"]).state == "closed",
        refused=404,                                    # refused roles of cell A get exactly this
        refused_for={"state_member": 403},              # ...except these personas
    )

- Allowed personas get exactly `status`: 200 for a page (the default for GET), 302 when
  `redirect_to` is set (the `Location` must equal it: a URL name, reversed without arguments, or a
  callable `(world, cell_world, kwargs) -> url`); set `status=400` for a row whose form is refused,
  `status=405` for a method the URL does not accept.
- Refused roles of cell A get exactly `refused` (403: the role is refused by a predicate; 404:
  the object is out of the persona's scope), per persona through `refused_for`. The staff and the
  outsider have no cell: unless allowed they are sent to the cell chooser (302, `NO_CELL`).
- Every POST row has `effect(world, cell_world, kwargs) -> bool` (the URL kwargs, plus the posted
  body under "data"), reading the database: True once an allowed persona posted (the state
  changed, the row exists, the audit event was written: `audited("case.close")`, `field_is(...)`),
  False after a refused one.
- For URLs with an object, every role of cell A and the outsider get 404 for cell B's object.
- `public=True`: anyone may open it (login, health check); `auth_step=True`: a sign-in step,
  tested in test_auth.py.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from tests.personas import ROLES, CellWorld, World

ALL = frozenset(ROLES)
CELL_MANAGERS = frozenset({"president", "coordinator"})
NO_CELL = (302, "accounts:choose_cell")  # what a persona without a cell gets on a cell page

Kwargs = Callable[[World, CellWorld], dict[str, Any]]
Target = str | Callable[[World, CellWorld, dict[str, Any]], str]
Effect = Callable[[World, CellWorld, dict[str, Any]], bool]


@dataclass(frozen=True)
class Row:
    method: str = "GET"
    allowed: frozenset[str] = ALL
    kwargs: Kwargs | None = None
    data: Callable[[World, CellWorld], dict[str, Any]] = field(default=lambda w, c: {})
    # Prepares the database before the request (e.g. a catalogue draft exists).
    given: Callable[[World, CellWorld], None] | None = None
    # What allowed personas get: `status` (200 by default, 302 when redirect_to is set).
    status: int | None = None
    redirect_to: Target | None = None
    # What refused personas get.
    refused: int = 403
    refused_for: Mapping[str, int] = field(default_factory=dict)
    effect: Effect | None = None
    public: bool = False
    auth_step: bool = False

    def expected_status(self) -> int:
        if self.status is not None:
            return self.status
        return 302 if self.redirect_to is not None else 200

    def refused_status(self, persona: str) -> int:
        return self.refused_for.get(persona, self.refused)

    def target(self, world: World, cw: CellWorld, kwargs: dict[str, Any]) -> str:
        assert self.redirect_to is not None
        if callable(self.redirect_to):
            return self.redirect_to(world, cw, kwargs)
        return reverse(self.redirect_to)


def to(name: str, **params: str) -> Target:
    """Redirect target: URL `name` with its kwargs taken from the row's URL kwargs.

    `to("cases:detail", pk="pk")` → reverse("cases:detail", kwargs={"pk": kwargs["pk"]}).
    """
    return lambda w, c, kw: reverse(name, kwargs={k: kw[v] for k, v in params.items()} or None)


def all_rows() -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for info in pkgutil.iter_modules(tests.__path__):
        if info.name.startswith("matrix_"):
            module = importlib.import_module(f"tests.{info.name}")
            overlap = rows.keys() & module.ROWS.keys()
            assert not overlap, f"URL names declared twice in the matrix: {overlap}"
            rows.update(module.ROWS)
    return rows


def url_names(resolver: URLResolver | None = None, prefix: str = "") -> set[str]:
    """Every named URL pattern (namespaced), the Django admin excepted (test_admin.py)."""
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            if entry.namespace == "admin":
                continue  # the Django admin: staff only, tested in test_admin.py
            names |= url_names(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(prefix + entry.name)
    return names


# --- side effects of POST rows ---------------------------------------------------------------------

_audit_mark = 0


def mark_audit() -> None:
    """Remember the last audit event before the request, so `audited()` sees only the request's."""
    from cmer.audit.models import AuditEvent

    global _audit_mark
    _audit_mark = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def audited(action: str) -> Effect:
    """Effect: the request wrote a successful audit event `action` (the services write it with the change)."""
    from cmer.audit.models import AuditEvent, Outcome

    return lambda w, c, kw: AuditEvent.objects.filter(
        seq__gt=_audit_mark, action=action, outcome=Outcome.OK
    ).exists()


def field_is(model: Any, attr: str, value: Any, key: str = "pk") -> Effect:
    """Effect: the URL's object (kwargs[key]) now has `attr == value`."""
    return lambda w, c, kw: getattr(model.objects.get(pk=kw[key]), attr) == value


def both(*effects: Effect) -> Effect:
    return lambda w, c, kw: all(effect(w, c, kw) for effect in effects)
