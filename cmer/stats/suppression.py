"""Small-count suppression with complementary suppression (statistical disclosure control).

Pure functions, no database: a publication is a set of counts (`values`) tied by additive lines
(`total = sum(parts)`). Counts from 1 to 4 are *primary* suppressions, shown as « < 5 ». Other
counts are then *masked* (shown as « s ») until no small count can be pinned down by arithmetic
on what is still shown: totals, subtotals, other tables sharing the same total.

The attacker we defend against knows the algorithm: a « < 5 » is in 1..4, a masked cell may be
anything from 0 up (a small count may itself be masked when nothing else protects it, so a masked
cell tells nothing), shown cells are exact, and every line may be combined with every other (the
year minus its quarters plus a total...). We tighten the interval of every hidden cell through
every line until nothing moves (bound propagation, cheap), then, where lines form cycles that
propagation cannot see through, take each remaining small count's minimum and maximum over all
lines at once by linear programming (exact for these tables, see `_problem`); one more cell is
masked while a small count is left with a single possible value. The property tests in
tests/test_stats.py check the result against an exhaustive solver written separately.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

SMALL_MIN, SMALL_MAX = 1, 4
# Upper bound for a masked cell the attacker cannot bound otherwise; far above any real count.
UNBOUNDED = 10**12

Key = Hashable
_MAX_PASSES = 10_000


class Mark(StrEnum):
    SHOWN = "shown"
    SMALL = "small"  # primary suppression: « < 5 »
    MASKED = "masked"  # complementary suppression: « s », any value from 0 up


@dataclass(frozen=True)
class Line:
    """An additive relation between published cells: total = sum(parts)."""

    total: Key
    parts: tuple[Key, ...]


def is_small(value: int) -> bool:
    return SMALL_MIN <= value <= SMALL_MAX


def _domain(value: int, mark: Mark) -> tuple[int, int]:
    if mark is Mark.SHOWN:
        return value, value
    if mark is Mark.SMALL:
        return SMALL_MIN, SMALL_MAX
    return 0, UNBOUNDED


def bounds(
    values: Mapping[Key, int], lines: Sequence[Line], marks: Mapping[Key, Mark]
) -> dict[Key, tuple[int, int]]:
    """What an attacker can deduce: the tightest interval of each cell, through every line."""
    iv = {k: _domain(values[k], marks[k]) for k in values}
    # Each line as signed terms, total - sum(parts) = 0, built once: the loop below runs many passes.
    # A cell twice in one line moves two terms at once: its sums are then recomputed after a move.
    equations = []
    for line in lines:
        terms = [(line.total, 1)] + [(p, -1) for p in line.parts]
        equations.append((terms, len({k for k, _s in terms}) < len(terms)))
    changed = True
    passes = 0
    while changed:
        changed = False
        passes += 1
        if passes > _MAX_PASSES:  # never seen: the tables are shallow; fail loudly rather than guess
            raise RuntimeError("bound propagation did not converge")
        for terms, repeated in equations:
            lo_sum, hi_sum = _sums(terms, iv)
            for k, s in terms:
                lo, hi = iv[k]
                # Range of the other terms, then solve s * x = -(others).
                own_lo, own_hi = (lo, hi) if s > 0 else (-hi, -lo)
                rest_lo, rest_hi = lo_sum - own_lo, hi_sum - own_hi
                if s > 0:
                    new_lo, new_hi = max(lo, -rest_hi), min(hi, -rest_lo)
                else:
                    new_lo, new_hi = max(lo, rest_lo), min(hi, rest_hi)
                if (new_lo, new_hi) != (lo, hi) and new_lo <= new_hi:
                    iv[k] = (new_lo, new_hi)
                    changed = True
                    if repeated:
                        lo_sum, hi_sum = _sums(terms, iv)
                    else:  # only this term's share of the sums moved
                        lo_sum += (new_lo if s > 0 else -new_hi) - own_lo
                        hi_sum += (new_hi if s > 0 else -new_lo) - own_hi
    return iv


def _sums(terms: list[tuple[Key, int]], iv: Mapping[Key, tuple[int, int]]) -> tuple[int, int]:
    """The lowest and highest value of sum(sign * x) over the terms, given each cell's interval."""
    lo_sum = hi_sum = 0
    for k, s in terms:
        lo, hi = iv[k]
        if s > 0:
            lo_sum += lo
            hi_sum += hi
        else:
            lo_sum -= hi
            hi_sum -= lo
    return lo_sum, hi_sum


def _protected(values: Mapping[Key, int], marks: Mapping[Key, Mark], also: frozenset[Key]) -> list[Key]:
    return [k for k, m in marks.items() if m is Mark.SMALL or (k in also and is_small(values[k]))]


def exposed(
    values: Mapping[Key, int],
    lines: Sequence[Line],
    marks: Mapping[Key, Mark],
    also: frozenset[Key] = frozenset(),
) -> list[Key]:
    """Small counts whose exact value can still be deduced (sorted for determinism).

    `also`: hidden cells never published (a year's last quarter) whose small value must not be
    deducible either, though the attacker does not know it is small.
    """
    iv = bounds(values, lines, marks)
    protected = _protected(values, marks, also)
    pinned = [k for k in protected if iv[k][0] == iv[k][1]]
    doubtful = [k for k in protected if iv[k][0] < iv[k][1]]
    return sorted(pinned + _lp_pinned(values, lines, iv, doubtful), key=repr)


def _first_leak(
    values: Mapping[Key, int], lines: Sequence[Line], marks: Mapping[Key, Mark], also: frozenset[Key]
) -> Key | None:
    """The leak suppress() fixes next: those of interval propagation first (cheap, and the masks
    are then the same as before linear programming was added), else the first the LP finds."""
    iv = bounds(values, lines, marks)
    protected = sorted(_protected(values, marks, also), key=repr)
    pinned = [k for k in protected if iv[k][0] == iv[k][1]]
    if pinned:
        return pinned[0]
    found = _lp_pinned(values, lines, iv, [k for k in protected if iv[k][0] < iv[k][1]], first=True)
    return found[0] if found else None


# A solution that moves a cell by at least this much (one unit, less the solver's tolerance, 1e-7)
# proves it is not pinned; a range narrower than that holds one integer: ceil(min) == floor(max).
_LP_TOL = 1e-6


def _lp_pinned(
    values: Mapping[Key, int],
    lines: Sequence[Line],
    iv: Mapping[Key, tuple[int, int]],
    doubtful: Sequence[Key],
    first: bool = False,
) -> list[Key]:
    """Doubtful cells (interval wider than one value) that the lines taken *together* pin down.

    Interval propagation reads each line alone; an attacker may add and subtract lines (the year
    minus its quarters, docs/rules.md §10). Linear programming over every line gives each cell's
    range over the reals; the tables are network flows (see `_problem`), whose ranges have
    integer ends, so that range is the attacker's. With `first`, only the first pinned cell in
    repr order (all suppress() needs). Sorted by repr.
    """
    problem = _problem(values, lines, iv, doubtful)
    if problem is None:
        return []
    cells = problem[0]
    truth = tuple(values[k] for k in cells)
    asked = frozenset(cells.index(k) for k in doubtful if k in cells)
    return [cells[i] for i in _solve_pinned(problem, truth, asked, first)]


# (cells, rows as ((column, coefficient), ...) with their right-hand side, bounds, component of
# each cell): hashable, so that the LPs of a publication already audited are not solved again.
_Problem = tuple[
    tuple[Key, ...],
    tuple[tuple[tuple[tuple[int, int], ...], int], ...],
    tuple[tuple[int, int], ...],
    tuple[int, ...],
]


def _problem(
    values: Mapping[Key, int],
    lines: Sequence[Line],
    iv: Mapping[Key, tuple[int, int]],
    doubtful: Sequence[Key],
) -> _Problem | None:
    """The lines' equations over the cells propagation left open (a fixed cell is a constant),
    keeping only the connected components holding a doubtful cell where propagation may fall
    short; None when there is none.

    Where the cells and lines of a component form a tree (no cell twice in a line), propagation
    to its fixed point is exact: fix a cell to any value of its interval, each of its lines can
    be completed within the others' intervals (a sum of ±1 terms over integer intervals takes
    every integer value between its ends) and, without a cycle, each completed cell starts an
    independent subtree. Single-period publications are such trees: no LP is run for them.

    The others are LP-exact: a year with its quarters is a period × category table with its
    margins, the month table refining each quarter's total and the age table a two-level
    hierarchy of categories. Each is a flow network (total → quarter → [month or age group →]
    category → year's category → year's total → back to the total), so its constraint matrix
    is totally unimodular and, with integer bounds, every vertex is integer: min and max of a
    cell are integers and every integer between them is reached. For any other system the
    rounded LP bounds are still at least as strong as propagation.
    """
    if not doubtful:
        return None
    rows: list[tuple[dict[Key, int], int, bool]] = []  # coefficients, right-hand side, repeats
    parent: dict[Key, Key] = {}

    def find(k: Key) -> Key:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for line in lines:
        coef: dict[Key, int] = {}
        rhs, seen = 0, 0
        for k, s in [(line.total, 1)] + [(p, -1) for p in line.parts]:
            if iv[k][0] < iv[k][1]:
                coef[k] = coef.get(k, 0) + s
                seen += 1
            else:
                rhs -= s * iv[k][0]
        if coef:
            rows.append((coef, rhs, seen > len(coef)))
            keys = list(coef)
            for k in keys:
                parent.setdefault(k, k)
            for k in keys[1:]:
                parent[find(k)] = find(keys[0])
    cells_of: dict[Key, list[Key]] = {}
    for k in parent:
        cells_of.setdefault(find(k), []).append(k)
    rows_of: dict[Key, list[int]] = {}
    for i, (coef, _rhs, _rep) in enumerate(rows):
        rows_of.setdefault(find(next(iter(coef))), []).append(i)
    # A component is a tree when its cell-line incidences number its cells and lines less one.
    kept = sorted(
        (
            sorted(cells_of[root], key=repr)
            for root in {find(k) for k in doubtful if k in parent}
            if any(rows[i][2] for i in rows_of[root])
            or sum(len(rows[i][0]) for i in rows_of[root]) != len(cells_of[root]) + len(rows_of[root]) - 1
        ),
        key=lambda cells: repr(cells[0]),
    )
    if not kept:
        return None
    # Columns in repr order of the cells, whatever their component: _solve_pinned's `first`.
    component_of = {k: c for c, cells_ in enumerate(kept) for k in cells_}
    cells = tuple(sorted(component_of, key=repr))
    column = {k: i for i, k in enumerate(cells)}
    wanted = {find(component[0]) for component in kept}
    equations = tuple(
        (tuple(sorted((column[k], s) for k, s in coef.items() if s)), rhs)
        for coef, rhs, _rep in rows
        if find(next(iter(coef))) in wanted
    )
    # A masked cell has no upper bound; any cap above every true value keeps the answer (the
    # segment from the true point towards any other solution stays under the cap near its
    # start), keeps the vertices integer and spares the solver 10^12.
    cap = 2 * max(values.values()) + 10
    bounds = tuple((iv[k][0], min(iv[k][1], cap)) for k in cells)
    component = tuple(component_of[k] for k in cells)
    return cells, equations, bounds, component


@functools.lru_cache(maxsize=512)
def _solve_pinned(
    problem: _Problem, truth: tuple[int, ...], asked: frozenset[int], first: bool
) -> tuple[int, ...]:
    """Columns of `asked` pinned to their true value over the problem's polytope (see _lp_pinned).

    Cached: the page of a completed year asks the same question on every view."""
    import numpy as np  # here: numpy and scipy load only when a page needs an LP
    from scipy.optimize import linprog

    cells, equations, bounds, component = problem
    a_eq = np.zeros((len(equations), len(cells)))
    b_eq = np.zeros(len(equations))
    for r, (coef, rhs) in enumerate(equations):
        for i, s in coef:
            a_eq[r, i] += s
        b_eq[r] = rhs

    def solve(objective: Mapping[int, float]) -> Any:
        c = np.zeros(len(cells))
        for i, w in objective.items():
            c[i] = w
        result = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        return result.x if result.status == 0 else None

    left = set(asked)

    def drop_moved(x: Any) -> None:
        left.difference_update([i for i in left if abs(x[i] - truth[i]) >= 1 - _LP_TOL])

    # Solves that move every doubtful cell left at once away from its true value (towards the
    # wider side of its interval; the other way once a solve frees none; stop when that frees none
    # either): each cell moved by a unit is free. Most are settled there, and a solve costs a
    # millisecond or two whatever the system's size. Unequal weights: with equal ones, two cells
    # whose moves cancel out in the sum would leave the solver indifferent, at the true values.
    sign, stalled = 1, 0
    while left and stalled < 2:
        weights = {i: 1 + n / len(left) for n, i in enumerate(sorted(left))}
        wide_below = {i: truth[i] - bounds[i][0] >= bounds[i][1] - truth[i] for i in left}
        x = solve({i: weights[i] * (sign if wide_below[i] else -sign) for i in left})
        before = len(left)
        if x is not None:
            drop_moved(x)
        if len(left) == before:
            stalled, sign = stalled + 1, -sign
        else:
            stalled = 0
    # The rest, one cell per component and solve (components are independent, so one solve
    # answers for each): its maximum, then its minimum. Columns are in repr order of the cells.
    pinned: list[int] = []
    while left:
        if first and pinned:
            left = {i for i in left if i < min(pinned)}
            if not left:
                break
        batch: dict[int, int] = {}
        for i in sorted(left):
            batch.setdefault(component[i], i)
        todo = set(batch.values())
        for sign in (-1, 1):  # -1: minimising -x maximises x
            x = solve(dict.fromkeys(todo, sign)) if todo else None
            if x is not None:
                drop_moved(x)
                todo &= left
        # Unmoved both ways (or the solver failed: then assume the worst and protect).
        pinned += todo
        left -= todo
    pinned.sort()
    return tuple(pinned[:1] if first else pinned)


def suppress(
    values: Mapping[Key, int], lines: Sequence[Line], frozen: Mapping[Key, Mark] | None = None
) -> dict[Key, Mark]:
    """Mark every cell: small counts hidden, then the fewest, smallest extra cells masked.

    `frozen` cells keep the given mark and are never chosen as complements: figures published
    earlier (the provisional quarters of a year) cannot be taken back, so only the new cells
    (the year's) are masked to protect them.
    """
    frozen = frozen or {}
    unpublished = frozenset(k for k, m in frozen.items() if m is Mark.MASKED)
    for line in lines:
        missing = {line.total, *line.parts} - values.keys()
        if missing:
            raise ValueError(f"line refers to unknown cells: {missing!r}")
        if values[line.total] != sum(values[p] for p in line.parts):
            raise ValueError(f"inconsistent line for {line.total!r}")
    marks = {k: frozen.get(k, Mark.SMALL if is_small(v) else Mark.SHOWN) for k, v in values.items()}
    lines_of: dict[Key, list[Line]] = {}
    for line in lines:
        for k in (line.total, *line.parts):
            lines_of.setdefault(k, []).append(line)
    while True:
        leak = _first_leak(values, lines, marks, unpublished)
        if leak is None:
            return marks
        # Mask a shown neighbour; when every neighbour is hidden already (a tiny population whose
        # « < 5 » cells add up to their « < 5 » total), the small count itself becomes « s ».
        candidate = _complement_for(leak, values, lines_of, marks, frozen)
        if candidate is None and leak in frozen:
            candidate = _nearest_free(leak, values, lines_of, marks, frozen)
        if candidate is None and leak in frozen:
            raise RuntimeError(f"nothing left to mask to protect {leak!r}")
        marks[candidate if candidate is not None else leak] = Mark.MASKED


def _complement_for(
    leak: Key,
    values: Mapping[Key, int],
    lines_of: Mapping[Key, list[Line]],
    marks: Mapping[Key, Mark],
    frozen: Mapping[Key, Mark],
) -> Key | None:
    """The smallest shown non-zero part of a line holding the leak, else a shown zero part, else
    that line's total. A non-zero complement keeps the hidden sum from reading as the small count
    itself (masking a 0 next to a 3 would leave « the hidden cells add up to 3 »)."""
    parts: list[Key] = []
    totals: list[Key] = []
    for line in lines_of.get(leak, []):
        parts += [p for p in line.parts if marks[p] is Mark.SHOWN and p not in frozen]
        if marks[line.total] is Mark.SHOWN and line.total not in frozen:
            totals.append(line.total)
    nonzero = [p for p in parts if values[p] > 0]
    pool = nonzero or parts or totals
    return min(pool, key=lambda k: (values[k], repr(k))) if pool else None


def _nearest_free(
    leak: Key,
    values: Mapping[Key, int],
    lines_of: Mapping[Key, list[Line]],
    marks: Mapping[Key, Mark],
    frozen: Mapping[Key, Mark],
) -> Key | None:
    """A frozen leak pinned through a chain of hidden cells (a masked year cell bounded by its
    own table): the smallest shown, free cell on a line of any hidden cell reachable from it."""
    seen, todo = {leak}, [leak]
    while todo:
        free: list[Key] = []
        nxt: list[Key] = []
        for key in todo:
            for line in lines_of.get(key, []):
                for k in (line.total, *line.parts):
                    if marks[k] is Mark.SHOWN and k not in frozen:
                        free.append(k)
                    elif marks[k] is not Mark.SHOWN and k not in seen:
                        seen.add(k)
                        nxt.append(k)
        if free:
            return min(free, key=lambda k: (values[k] == 0, values[k], repr(k)))
        todo = nxt
    return None


def label(value: int, mark: Mark) -> str:
    """The published text of a cell: never the value of a hidden one."""
    if mark is Mark.SMALL:
        return "< 5"
    if mark is Mark.MASKED:
        return "s"
    return str(value)
