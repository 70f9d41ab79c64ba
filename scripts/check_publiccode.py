"""Validate publiccode.yml against scripts/publiccode.schema.json (the standard's core, 0.4), and
check that it agrees with the repository: licence of pyproject.toml and LICENSE, version.

    .venv/bin/python scripts/check_publiccode.py [path]      # make lint runs it
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
LICENCE_TITLES = {"EUPL-1.2": "EUROPEAN UNION PUBLIC LICENCE v. 1.2"}


def problems(path: Path) -> list[str]:
    # BaseLoader keeps every scalar a string, as the standard reads them (no YAML dates or floats).
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506  # nosec B506
    document = _typed(document)
    schema = json.loads((ROOT / "scripts" / "publiccode.schema.json").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    found = [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    if not isinstance(document, dict):
        return found
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    licence = document.get("legal", {}).get("license")
    if licence != project.get("license"):
        found.append(f"legal/license: {licence!r} but pyproject.toml declares {project.get('license')!r}")
    title = LICENCE_TITLES.get(str(licence))
    if title is None or title not in (ROOT / "LICENSE").read_text(encoding="utf-8")[:200]:
        found.append(f"legal/license: LICENSE does not hold the text of {licence!r}")
    if document.get("softwareVersion") != project.get("version"):
        found.append(
            f"softwareVersion: {document.get('softwareVersion')!r} but pyproject.toml says {project.get('version')!r}"
        )
    return found


def _typed(node: object) -> object:
    """BaseLoader reads true/false as strings; the standard's booleans are the YAML 1.2 words."""
    if isinstance(node, dict):
        return {key: _typed(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_typed(value) for value in node]
    if node in ("true", "false"):
        return node == "true"
    return node


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "publiccode.yml"
    found = problems(path)
    for problem in found:
        print(f"{path.name}: {problem}", file=sys.stderr)
    if found:
        return 1
    print(f"{path.name}: valid (publiccode.yml 0.4 core schema, licence and version agree)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
