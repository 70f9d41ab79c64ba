"""Structural rules of the code base, checked on the source itself.

- Import cycles between apps: none (scripts/import_cycles.py, deferred imports included).
- The lower layers (core, audit) import nothing from the apps built on them.
- The access policy has one home: templates, views, widgets and menu registrations never name a
  role (they ask a predicate of `permissions.py` or an `abilities()` dict), and views never fetch
  a cell's objects except through `visible_to` (docs/security.md).

Each rule has a self-test: a sample violation that the checker must catch.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from cmer.accounts.roles import Role

ROOT = Path(__file__).resolve().parent.parent
CMER = ROOT / "cmer"
sys.path.insert(0, str(ROOT / "scripts"))

import import_cycles  # noqa: E402  (a script, not a package: found through sys.path above)

LOWER_LAYERS = {"core", "audit"}
HIGHER_APPS = {
    "accounts",
    "referrals",
    "cases",
    "support",
    "meetings",
    "exchange",
    "notifications",
    "training",
    "privacy",
    "stats",
}
ROLE_VALUES = frozenset(Role.values)
# Names of the role groups of cmer/accounts/roles.py: a view testing them is testing a role.
ROLE_NAMES = {"Role", "has_role", "MANAGERS", "SCOPED_MEMBERS", "FOLLOWERS", "PARTICIPANTS"} | {
    "SUBMITTERS",
    "NEEDS_CERTIFICATION",
    "STATE_CORRESPONDENTS",
    "TRANSMISSION_READERS",
    "TRAINING_STAFF",
    "STATS_READERS",
    "CHARTER_ROLES",
}
# The scopes a view may start a query of a cell-scoped model with.
SCOPES = {"visible_to", "none"}


@dataclass(frozen=True)
class Violation:
    where: str
    rule: str

    def __str__(self) -> str:
        return f"{self.where}: {self.rule}"


# --- import cycles and layers ------------------------------------------------------------------


def test_no_import_cycle_between_apps() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "import_cycles.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip().endswith("0 import cycle(s) between apps"), result.stdout
    assert result.returncode == 0


def test_lower_layers_import_no_higher_app() -> None:
    edges = import_cycles.build_graph()
    upward = {
        (source, target): where
        for (source, target), where in edges.items()
        if source in LOWER_LAYERS and target in HIGHER_APPS
    }
    assert upward == {}


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "cmer" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_import_cycles_self_test(tmp_path: Path) -> None:
    """A deferred import still makes a cycle; TYPE_CHECKING imports and migrations do not."""
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "low/__init__.py": "",
            "low/models.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from cmer.high import x\n",
            "low/migrations/0001_initial.py": "from cmer.high import models\n",
            "high/__init__.py": "",
            "high/views.py": "from cmer.low import models\n",
        },
    )
    assert import_cycles.find_cycles(import_cycles.build_graph(root)) == []
    (root / "cmer" / "low" / "services.py").write_text("def f():\n    from ..high import views\n")
    edges = import_cycles.build_graph(root)
    assert edges[("low", "high")] == ["cmer/low/services.py:2"]
    assert import_cycles.find_cycles(edges) == [["high", "low"]]


# --- the structural access-policy rules ----------------------------------------------------------

_TAG = re.compile(r"{%-?\s*(?:if|elif)\b(.*?)-?%}", re.S)
_ROLE_TEST = re.compile(r"\.role\s*(?:==|!=)|\brole\s+(?:not\s+)?in\b|(?:==|!=|\bin)\s+[\w.]*\.role\b")
_ROLE_VALUE = re.compile("[\"']({})[\"']".format("|".join(sorted(ROLE_VALUES, key=len, reverse=True))))


def template_violations(text: str, where: str) -> list[Violation]:
    """(a) A template tests a role: `x.role == ...`, `role in ...`, or a role value in an `if`."""
    found = []
    for match in _TAG.finditer(text):
        condition = match.group(1)
        line = text.count("\n", 0, match.start()) + 1
        if _ROLE_TEST.search(condition) or _ROLE_VALUE.search(condition):
            found.append(Violation(f"{where}:{line}", "template tests a role (ask a predicate)"))
    return found


def _is_role_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and node.value in ROLE_VALUES:
        return True
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_is_role_literal(e) for e in node.elts)
    return False


def _is_role_attribute(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "role"


def role_violations(source: str, where: str) -> list[Violation]:
    """(b) A view, widget or apps module names `Role`, a role group, or compares a role."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Name) and node.id in ROLE_NAMES:
            found.append(Violation(line, f"names {node.id} (ask a predicate of permissions.py)"))
        elif isinstance(node, ast.ImportFrom) and node.module == "cmer.accounts.roles":
            found.append(Violation(line, "imports cmer.accounts.roles (ask a predicate)"))
        elif isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_is_role_attribute(o) or _is_role_literal(o) for o in operands):
                found.append(Violation(line, "compares a role (ask a predicate of permissions.py)"))
    return found


def _manager_model(node: ast.AST) -> str | None:
    """`X` for an expression `X.objects`."""
    if isinstance(node, ast.Attribute) and node.attr == "objects" and isinstance(node.value, ast.Name):
        return node.value.id
    return None


def scope_violations(source: str, where: str, cell_models: set[str]) -> list[Violation]:
    """(c) A view or widget queries a cell-scoped model without starting from `visible_to`."""
    found = []
    tree = ast.parse(source)
    # A Prefetch queryset only ever reaches rows related to the parent rows, which were already
    # scoped by visible_to: what is inside a Prefetch(...) is not a lookup of its own.
    in_prefetch = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Prefetch"
        for inner in ast.walk(node)
        if inner is not node
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in in_prefetch:
            continue
        line = f"{where}:{node.lineno}"
        func = node.func
        if isinstance(func, ast.Attribute):
            model = _manager_model(func.value)
            if model in cell_models and func.attr not in SCOPES:
                found.append(Violation(line, f"{model}.objects.{func.attr}() outside visible_to"))
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in {"get_object_or_404", "get_list_or_404"} and node.args:
            first = node.args[0]
            if isinstance(first, ast.Name) and first.id in cell_models:
                found.append(Violation(line, f"{name}({first.id}, …) outside visible_to"))
    return found


def cell_scoped_models() -> set[str]:
    """Our models that belong to a cell: a `cell` field, or a manager offering `visible_to`."""
    names = set()
    for model in django_apps.get_models():
        if not model.__module__.startswith("cmer."):
            continue
        fields = {f.name for f in model._meta.get_fields()}
        if "cell" in fields or hasattr(model._default_manager, "visible_to"):
            names.add(model.__name__)
    return names


def _modules(*patterns: str) -> list[Path]:
    paths = {p for pattern in patterns for p in CMER.rglob(pattern) if "migrations" not in p.parts}
    return sorted(paths)


VIEW_MODULES = ("views.py", "*_views.py", "widgets.py", "*_widgets.py")


def policy_violations() -> list[Violation]:
    found: list[Violation] = []
    for path in _modules("*.html", "*.txt"):
        if "templates" in path.parts:
            found += template_violations(path.read_text(), str(path.relative_to(ROOT)))
    for path in _modules(*VIEW_MODULES, "apps.py"):
        found += role_violations(path.read_text(), str(path.relative_to(ROOT)))
    models = cell_scoped_models()
    for path in _modules(*VIEW_MODULES):
        found += scope_violations(path.read_text(), str(path.relative_to(ROOT)), models)
    return sorted(set(found), key=lambda v: (v.where.split(":")[0], int(v.where.split(":")[1]), v.rule))


def test_no_role_literal_nor_scope_bypass_in_views_widgets_templates() -> None:
    violations = policy_violations()
    assert violations == [], "\n" + "\n".join(map(str, violations))


# Self-tests: each rule catches a sample violation and lets the right form through.


@pytest.mark.parametrize(
    "template",
    [
        '{% if current_membership.role == "president" %}x{% endif %}',
        "{% if membership.role in managers %}x{% endif %}",
        "{% if 'coordinator' == m.role %}x{% endif %}",
        "{% if a %}{% elif m.role != 'dpo' %}x{% endif %}",
        '{% if who == "state_member" %}x{% endif %}',
    ],
)
def test_template_rule_catches(template: str) -> None:
    assert len(template_violations(template, "t.html")) == 1


def test_template_rule_allows_predicates_and_role_display() -> None:
    ok = "{% if abilities.validate %}{{ m.get_role_display }}{% endif %}{% if form.role.errors %}{% endif %}"
    assert template_violations(ok, "t.html") == []


@pytest.mark.parametrize(
    "source",
    [
        "def v(request):\n    return Role.PRESIDENT\n",
        "def v(request):\n    if request.membership.role == 'coordinator':\n        pass\n",
        "def v(m):\n    return m.role in ('president', 'coordinator')\n",
        "from cmer.accounts.roles import MANAGERS\n",
    ],
)
def test_role_rule_catches(source: str) -> None:
    assert role_violations(source, "views.py") != []


def test_role_rule_allows_predicates() -> None:
    ok = "from cmer.cases.permissions import can_qualify\n\ndef v(m):\n    return can_qualify(m) and m.kind == 'x'\n"
    assert role_violations(ok, "views.py") == []


@pytest.mark.parametrize(
    "source",
    [
        "def v(request):\n    return Case.objects.filter(cell=request.cell)\n",
        "def v(request, pk):\n    return Case.objects.get(pk=pk)\n",
        "def v(request, pk):\n    return get_object_or_404(Case, pk=pk)\n",
        "def v(request):\n    return get_visible_or_404(request, Case.objects.all(), pk=1)\n",
    ],
)
def test_scope_rule_catches(source: str) -> None:
    assert len(scope_violations(source, "views.py", {"Case"})) == 1


def test_scope_rule_allows_visible_to() -> None:
    ok = (
        "def v(request, pk):\n"
        "    qs = Case.objects.visible_to(request.membership).filter(state='open')\n"
        "    return get_visible_or_404(request, qs, pk=pk), Other.objects.get(pk=pk)\n"
    )
    assert scope_violations(ok, "views.py", {"Case"}) == []


def test_cell_scoped_models_are_found() -> None:
    models = cell_scoped_models()
    assert {"Case", "Membership", "Meeting", "Transmission"} <= models
    assert "User" not in models


def test_no_module_imports_django_otps_clear_text_plugins():
    """Their models would register under the installed `django_otp` app: a table nobody migrates,
    created before our own (on PostgreSQL its foreign key to accounts_user then breaks every test
    database), and a second factor stored in clear. Our devices live in cmer/accounts/models.py."""
    root = Path(__file__).resolve().parent.parent
    offenders = [
        str(path.relative_to(root))
        for folder in ("cmer", "bench", "tests")
        for path in (root / folder).rglob("*.py")
        if "migrations" not in path.parts
        and re.search(r"^\s*(from|import) django_otp\.plugins", path.read_text(), re.M)
    ]
    assert offenders == []
