"""publiccode.yml passes its schema check, and the check catches what the standard forbids."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_publiccode", ROOT / "scripts" / "check_publiccode.py")
check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check)


def test_the_repository_publiccode_is_valid():
    assert check.problems(ROOT / "publiccode.yml") == []


def _broken(tmp_path, change):
    document = yaml.safe_load((ROOT / "publiccode.yml").read_text())
    change(document)
    path = tmp_path / "publiccode.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return " | ".join(check.problems(path))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("name"), "'name' is a required property"),
        (lambda d: d.update(categories=["radicalisation"]), "categories/0"),
        (lambda d: d["description"]["fr"].update(longDescription="Trop court."), "longDescription"),
        (lambda d: d["maintenance"].pop("contacts"), "'contacts' is a required property"),
        (lambda d: d.pop("releaseDate"), "'releaseDate' is a dependency of 'softwareVersion'"),
        (lambda d: d["legal"].update(license="MIT"), "pyproject.toml declares 'EUPL-1.2'"),
        (lambda d: d.update(url="http://insecure.example"), "url"),
    ],
)
def test_the_check_refuses(tmp_path, change, expected):
    assert expected in _broken(tmp_path, change)


PUBLISHED_FILES = ("publiccode.yml", "SECURITY.md", "CHANGELOG.md", "deploy/cmer.env.example", ".env.example")


def test_placeholders_are_unreachable_names_and_documented():
    """No invented real-looking address: every placeholder host is under .invalid (RFC 6761), and
    each one is listed in docs/deployment.md, "Placeholders to replace"."""
    guide = (ROOT / "docs" / "deployment.md").read_text()
    table = guide[guide.index("### Placeholders to replace") : guide.index("## 3. Database")]
    for name in PUBLISHED_FILES:
        text = (ROOT / name).read_text()
        assert "example.fr" not in text and "Miramas" not in text, name
        for host in re.findall(r"[\w.-]+\.invalid\b", text):
            assert host.split("@")[-1].split("/")[0] in table, (name, host)
    document = yaml.safe_load((ROOT / "publiccode.yml").read_text())
    assert document["url"].startswith("https://depot-public.a-renseigner.invalid/")
    assert document["maintenance"]["contacts"][0]["email"].endswith(".invalid")
