#!/usr/bin/env python3
"""Import cycles between the apps of CMER (an app is a package `cmer.<name>`).

Every import counts, at module level or deferred inside a function: a deferred import hides a
cycle from Python's import machinery, not from the design. Imports inside `if TYPE_CHECKING:`
blocks are annotations only and are ignored, and so are migrations (Django generates them).

Usage: python scripts/import_cycles.py [--edges]   exit status 1 when there is a cycle.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cmer"

# (importing app, imported app) -> ["path:line", ...]
Edges = dict[tuple[str, str], list[str]]


def apps(root: Path = ROOT) -> list[str]:
    """The apps: sub-packages of cmer/ (a directory with an __init__.py)."""
    return sorted(p.parent.name for p in (root / PACKAGE).glob("*/__init__.py"))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_modules(tree: ast.AST, module: str, is_package: bool) -> list[tuple[str, int]]:
    """(absolute module, line) of every import in the tree, skipping `if TYPE_CHECKING:` bodies."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the `else:` branch runs for real
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join(parts[:keep] + ([base] if base else []))
            # `from cmer import cases` imports the app itself: record each name under the base.
            found.extend((f"{base}.{alias.name}", node.lineno) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _app_of(module: str, known: set[str]) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == PACKAGE and parts[1] in known:
        return parts[1]
    return None


def build_graph(root: Path = ROOT) -> Edges:
    known = set(apps(root))
    edges: Edges = defaultdict(list)
    for app in sorted(known):
        for path in sorted((root / PACKAGE / app).rglob("*.py")):
            rel = path.relative_to(root)
            if "migrations" in rel.parts:
                continue
            is_package = path.name == "__init__.py"
            dotted = ".".join(rel.with_suffix("").parts)
            module = dotted.removesuffix(".__init__") if is_package else dotted
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(rel))
            for imported, line in _imported_modules(tree, module, is_package):
                target = _app_of(imported, known)
                if target is not None and target != app:
                    edges[(app, target)].append(f"{rel}:{line}")
    return dict(edges)


def find_cycles(edges: Edges) -> list[list[str]]:
    """Every elementary cycle, each once, starting from its alphabetically first app."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    cycles: list[list[str]] = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                cycles.append([*path])
            elif nxt > start and nxt not in path:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return sorted(cycles, key=lambda c: (len(c), c))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", action="store_true", help="also list every import between apps")
    args = parser.parse_args(argv)
    edges = build_graph()
    if args.edges:
        for (source, target), where in sorted(edges.items()):
            print(f"{source} -> {target}: {', '.join(where)}")
    cycles = find_cycles(edges)
    for cycle in cycles:
        print(" -> ".join([*cycle, cycle[0]]))
        for source, target in zip(cycle, [*cycle[1:], cycle[0]], strict=True):
            print(f"    {source} -> {target}: {', '.join(edges[(source, target)])}")
    print(f"{len(cycles)} import cycle(s) between apps")
    return 1 if cycles else 0


if __name__ == "__main__":
    sys.exit(main())
