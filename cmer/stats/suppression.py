"""Small-count suppression with complementary suppression (statistical disclosure control).

Pure functions, no database: a publication is a set of counts (`values`) tied by additive lines
(`total = sum(parts)`). Counts from 1 to 4 are *primary* suppressions, shown as « < 5 ». Other
counts are then *masked* (shown as « s ») until no small count can be pinned down by arithmetic
on what is still shown: totals, subtotals, other tables sharing the same total.

The attacker we defend against knows the algorithm: a « < 5 » is in 1..4, a masked cell may be
anything from 0 up (a small count may itself be masked when nothing else protects it, so a masked
cell tells nothing), shown cells are exact. We tighten the interval of every hidden cell through
every line until nothing moves (bound propagation), and mask one more cell while a small count is
left with a single possible value. The property test in tests/test_stats.py checks the result
against an exhaustive solver written separately.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

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
    protected = (k for k, m in marks.items() if m is Mark.SMALL or (k in also and is_small(values[k])))
    return sorted((k for k in protected if iv[k][0] == iv[k][1]), key=repr)


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
        leaks = exposed(values, lines, marks, unpublished)
        if not leaks:
            return marks
        # Mask a shown neighbour; when every neighbour is hidden already (a tiny population whose
        # « < 5 » cells add up to their « < 5 » total), the small count itself becomes « s ».
        candidate = _complement_for(leaks[0], values, lines_of, marks, frozen)
        if candidate is None and leaks[0] in frozen:
            candidate = _nearest_free(leaks[0], values, lines_of, marks, frozen)
        if candidate is None and leaks[0] in frozen:
            raise RuntimeError(f"nothing left to mask to protect {leaks[0]!r}")
        marks[candidate if candidate is not None else leaks[0]] = Mark.MASKED


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
