"""The repository is self-contained: every citation of a document points inside it, and exists;
and the tables of docs/rules.md that restate code (states, retention defaults) match it.

Code, tests and docs cite "docs/rules.md §N", "docs/security.md #N", "docs/stack.md gotcha N",
"docs/performance.md PN" and other docs/ files. A citation of a design note outside the
repository, or of a file or section that does not exist, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ["cmer", "docs", "tests", "bench", "scripts", ".ci", "README.md", "Makefile"]
SUFFIXES = {".py", ".md", ".html", ".txt", ".sh", ""}
THIS_FILE = Path(__file__).resolve()


def _files() -> list[Path]:
    found: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else sorted(path.rglob("*")) if path.is_dir() else []
        found += [
            p
            for p in candidates
            if p.is_file()
            and p.suffix in SUFFIXES
            and not {"__pycache__", "node_modules"} & set(p.parts)
            and p != THIS_FILE
        ]
    return found


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _citations(pattern: str) -> list[tuple[str, str]]:
    """(file:line, match) for every occurrence of `pattern` in the scanned files."""
    hits = []
    regex = re.compile(pattern)
    for path in _files():
        for number, line in enumerate(_text(path).splitlines(), start=1):
            for match in regex.finditer(line):
                hits.append((f"{path.relative_to(ROOT)}:{number}", match.group(0)))
    return hits


def test_nothing_cites_design_notes_outside_the_repository():
    outside = _citations(
        r"shared[/]design|(?<![\w/.-])(product|stack|performance|indicators|architecture)\.md"
    )
    assert outside == []


def test_every_cited_docs_file_exists():
    cited = {m for _, m in _citations(r"docs/[\w./-]+\.md")}
    missing = sorted(c for c in cited if not (ROOT / c).is_file())
    assert cited and missing == []


def test_every_cited_section_of_the_rules_exists():
    headings = set(re.findall(r"^## §(\d+)\b", _text(ROOT / "docs/rules.md"), flags=re.M))
    cited = _citations(r"docs/rules\.md §\d+(?:(?:,| and) §\d+)*")
    missing = [(where, n) for where, m in cited for n in re.findall(r"§(\d+)", m) if n not in headings]
    assert cited and missing == []


def test_every_cited_security_property_exists():
    rows = set(re.findall(r"^\| (\d+) \|", _text(ROOT / "docs/security.md"), flags=re.M))
    cited = _citations(r"docs/security\.md #\d+(?:(?:, | and |–)#\d+)*")
    missing = [(where, n) for where, m in cited for n in re.findall(r"#(\d+)", m) if n not in rows]
    assert cited and missing == []


def test_every_cited_stack_gotcha_finding_and_section_exists():
    stack = _text(ROOT / "docs/stack.md")
    gotchas = stack[stack.index("## §7") : stack.index("## §8")]
    findings = stack[stack.index("## §1") : stack.index("## §2")]
    missing = []
    for where, m in _citations(r"docs/stack\.md (?:gotcha|finding|§)\s?\d+"):
        kind, number = re.match(r"docs/stack\.md (gotcha|finding|§)\s?(\d+)", m).groups()
        if kind == "§":
            found = re.search(rf"^## §{number}\b", stack, flags=re.M) or re.search(
                rf"^## §\d+–§{number}\b", stack, flags=re.M
            )
        else:
            found = re.search(rf"^{number}\. ", gotchas if kind == "gotcha" else findings, flags=re.M)
        if not found:
            missing.append((where, m))
    assert missing == []


def test_every_cited_performance_benchmark_exists():
    table = set(re.findall(r"^\| (P\d) \|", _text(ROOT / "docs/performance.md"), flags=re.M))
    cited = _citations(r"docs/performance\.md,? P\d|P\d \(docs/performance\.md\)")
    missing = [(where, m) for where, m in cited if re.search(r"P\d", m).group(0) not in table]
    assert cited and missing == []


def _table_after(heading: str) -> list[list[str]]:
    """Rows (cells stripped) of the first Markdown table after `heading` in docs/rules.md."""
    text = _text(ROOT / "docs/rules.md")
    lines = text[text.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_rules_states_table_is_the_state_machine():
    """docs/rules.md §3 lists every state of cmer/cases/states.py with exactly its exits."""
    from cmer.cases.states import TRANSITIONS

    documented = {}
    for state, _meaning, exits in _table_after("## §3 "):
        documented[state.strip("`")] = set(re.findall(r"`(\w+)`", exits))
    assert documented == {str(source): {str(t) for t in targets} for source, targets in TRANSITIONS.items()}


def test_rules_retention_table_has_the_code_defaults():
    """docs/rules.md §8 shows the defaults of cmer/privacy/models.py."""
    from cmer.privacy import models

    rows = {cells[0].strip("`"): cells[1] for cells in _table_after("## §8 ")}
    assert rows["dismissed"] == f"{models.DISMISSED_DAYS} days"
    assert rows["archive_end"] == f"{models.ARCHIVE_YEARS} years"
    assert rows["young_age"] == str(models.YOUNG_MAX_AGE) == str(models.YOUNG_AGE_LIMIT)
    assert rows["adult_cap"] == f"{models.ADULT_CAP_YEARS} years"
    assert rows["audit events"] == f"{models.AUDIT_MONTHS} months"
