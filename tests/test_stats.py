"""Statistics: suppression property tests, aggregates, page, CSV, query counts."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmer.stats.suppression import Line, Mark, label, suppress

BIG = 10**9


def _propagate(dom: dict, lines: Sequence[Line]) -> bool:
    """Shrink domains (lo, hi) in place without ever removing a feasible value; False if empty."""
    for _ in range(500):
        moved = False
        for line in lines:
            parts_lo = sum(dom[p][0] for p in line.parts)
            parts_hi = sum(dom[p][1] for p in line.parts)
            t_lo, t_hi = dom[line.total]
            nt = (max(t_lo, parts_lo), min(t_hi, parts_hi))
            if nt != (t_lo, t_hi):
                dom[line.total] = nt
                moved = True
            t_lo, t_hi = dom[line.total]
            if t_lo > t_hi:
                return False
            for p in line.parts:
                lo, hi = dom[p]
                others_lo = parts_lo - lo
                others_hi = parts_hi - hi
                np_ = (max(lo, t_lo - others_hi), min(hi, t_hi - others_lo))
                if np_[0] > np_[1]:
                    return False
                if np_ != (lo, hi):
                    dom[p] = np_
                    parts_lo += np_[0] - lo
                    parts_hi += np_[1] - hi
                    moved = True
        if not moved:
            return True
    return True  # still sound: domains only shrank by proven steps


def _solve(dom: dict, lines: Sequence[Line]) -> bool:
    if not _propagate(dom, lines):
        return False
    open_vars = [k for k, (lo, hi) in dom.items() if lo < hi]
    if not open_vars:
        return all(dom[line.total][0] == sum(dom[p][0] for p in line.parts) for line in lines)
    k = min(open_vars, key=lambda v: (dom[v][1] - dom[v][0], repr(v)))
    lo, hi = dom[k]
    if hi - lo <= 8:
        branches = [(v, v) for v in range(lo, hi + 1)]
    else:
        mid = (lo + hi) // 2
        branches = [(lo, mid), (mid + 1, hi)]
    for branch in branches:
        trial = dict(dom)
        trial[k] = branch
        if _solve(trial, lines):
            return True
    return False


def domains(values: Mapping[Hashable, int], marks: Mapping[Hashable, Mark]) -> dict:
    dom = {}
    for k, v in values.items():
        mark = marks[k]
        dom[k] = (v, v) if mark is Mark.SHOWN else (1, 4) if mark is Mark.SMALL else (0, BIG)
    return dom


def exposed_small_counts(
    values: Mapping[Hashable, int], lines: Sequence[Line], marks: Mapping[Hashable, Mark]
) -> list[Hashable]:
    """Small counts readable directly or recomputable: the attacker's wins."""
    wins = [k for k, v in values.items() if 1 <= v <= 4 and marks[k] is Mark.SHOWN]
    base = domains(values, marks)
    for k, mark in marks.items():
        if mark is not Mark.SMALL:
            continue
        alternatives = [v for v in range(1, 5) if v != values[k]]
        if not any(_solve({**base, k: (v, v)}, lines) for v in alternatives):
            wins.append(k)
    return wins


# --- Property tests on the pure suppression function -------------------------------------------

CATS = st.integers(min_value=0, max_value=5)
ITEMS = st.lists(st.tuples(CATS, CATS, st.integers(0, 2), CATS), max_size=45)


def publication(items: list[tuple[int, int, int, int]]) -> tuple[dict, list[Line]]:
    """Three tables over one population, like the statistics page: two flat breakdowns sharing
    their total (month, source) and a two-level one (minors/adults, then age brackets)."""
    values: dict = {"T": len(items)}
    lines: list[Line] = []
    for dim in ("a", "b"):
        keys = [(dim, c) for c in range(6)]
        for i, key in enumerate(keys):
            values[key] = sum(1 for it in items if it[0 if dim == "a" else 1] == i)
        lines.append(Line("T", tuple(keys)))
    groups = []
    for g in range(3):
        keys = [("h", g, s) for s in range(6)]
        for s, key in enumerate(keys):
            values[key] = sum(1 for it in items if it[2] == g and it[3] == s)
        values[("g", g)] = sum(values[k] for k in keys)
        lines.append(Line(("g", g), tuple(keys)))
        groups.append(("g", g))
    lines.append(Line("T", tuple(groups)))
    return values, lines


@settings(max_examples=300, deadline=None)
@given(ITEMS)
def test_no_small_count_can_be_read_or_recomputed(items):
    values, lines = publication(items)
    marks = suppress(values, lines)
    assert exposed_small_counts(values, lines, marks) == []
    # The published text of a hidden cell never carries its value.
    for key, mark in marks.items():
        if mark is not Mark.SHOWN:
            assert label(values[key], mark) in {"< 5", "s"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=8))
def test_single_table_with_total(parts):
    values = {("p", i): v for i, v in enumerate(parts)} | {"T": sum(parts)}
    lines = [Line("T", tuple(("p", i) for i in range(len(parts))))]
    marks = suppress(values, lines)
    assert exposed_small_counts(values, lines, marks) == []
    if not any(1 <= v <= 4 for v in values.values()):
        assert set(marks.values()) == {Mark.SHOWN}  # nothing to protect: nothing hidden


def test_attacker_is_not_toothless():
    """The checker finds the classic leak: one hidden cell beside a published total."""
    values = {"T": 20, "a": 3, "b": 17}
    lines = [Line("T", ("a", "b"))]
    naive = {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SHOWN}
    assert exposed_small_counts(values, lines, naive) == ["a"]
    # ... and the interval leak: two « < 5 » beside a shown 0 under a shown 8 must both be 4.
    values = {"T": 8, "a": 4, "b": 4, "c": 0}
    lines = [Line("T", ("a", "b", "c"))]
    naive = {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SMALL, "c": Mark.SHOWN}
    assert exposed_small_counts(values, lines, naive) == ["a", "b"]
    assert exposed_small_counts(values, lines, suppress(values, lines)) == []


def test_suppression_examples():
    lines = [Line("T", ("a", "b", "c"))]
    assert suppress({"T": 30, "a": 10, "b": 12, "c": 8}, lines) == {
        "T": Mark.SHOWN,
        "a": Mark.SHOWN,
        "b": Mark.SHOWN,
        "c": Mark.SHOWN,
    }
    marks = suppress({"T": 25, "a": 3, "b": 12, "c": 10}, lines)
    # The small one, and the smallest other part as its complement; the total stays.
    assert marks == {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SHOWN, "c": Mark.MASKED}
    # Two small parts and a zero under a shown total: masking the zero is the cheapest fix.
    marks = suppress({"T": 8, "a": 4, "b": 4, "c": 0}, lines)
    assert marks == {"T": Mark.SHOWN, "a": Mark.SMALL, "b": Mark.SMALL, "c": Mark.MASKED}
    with pytest.raises(ValueError):
        suppress({"T": 9, "a": 4, "b": 4, "c": 0}, lines)
