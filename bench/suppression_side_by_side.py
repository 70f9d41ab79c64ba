"""Suppression before and after a change, interleaved in one process on the scale-1 database.

    .venv/bin/python bench/suppression_side_by_side.py BEFORE_DIR [--rounds 20] [--years 2020-2025]

BEFORE_DIR is another checkout (for instance a `git worktree` of origin/main): its
`cmer/stats/suppression.py` and `report.py` are loaded as separate modules next to this one's.
For every cell and completed year, the aggregates are read once (`collect()` with the quarter
split), then both versions publish the year with its quarters (`publish_cell`), alternating, and
the CPU time of each (`process_time()`) is kept: p50 and total per version, and the consolidated
view of every cell (`build(..., "all")`). Also counts the publications whose marks differ and
those where this checkout's audit (`exposed()`) finds a pinned small count in the former marks.
The database must exist (`make bench SCALE=1 BENCH_ARGS="--only core"` creates it).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import bench_env  # noqa: E402


def load_module(name: str, path: Path, replace: tuple[str, str] | None = None):  # type: ignore[no-untyped-def]
    source = path.read_text()
    if replace:
        source = source.replace(*replace)
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, str(path), "exec"), module.__dict__)  # nosec B102 — a checkout's own code
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--years", default="2020-2025")
    parser.add_argument("--requests", type=int, default=30, help="statistics page: requests per version")
    args = parser.parse_args()
    os.environ.update(bench_env("1"))
    import django

    django.setup()
    from cmer.accounts.models import Cell
    from cmer.stats import report as new_report
    from cmer.stats.aggregates import Counts, collect, period_for
    from cmer.stats.suppression import Mark, exposed

    before = Path(args.before) / "cmer" / "stats"
    load_module("old_suppression", before / "suppression.py")
    old_report = load_module(
        "old_report",
        before / "report.py",
        ("from cmer.stats.suppression import", "from old_suppression import"),
    )
    first, last = (int(y) for y in args.years.split("-"))
    cells = list(Cell.objects.order_by("pk"))
    cases = []
    for year in range(first, last + 1):
        period = period_for(year)
        counts = collect([c.pk for c in cells], period, quarters=True)
        quarters = {c.pk: [counts[c.pk].quarters.get(q, Counts()) for q in range(1, 5)] for c in cells}
        cases.append((year, period, counts, quarters))

    differ = leaked = pubs = 0
    for _year, period, counts, quarters in cases:
        for cell in cells:
            _p, values, former = old_report.publish_cell(
                counts[cell.pk], period, cell.name, quarters[cell.pk]
            )
            old_marks = {k: Mark(m) for k, m in former.items()}  # the former module's own enum
            _p, _v, new_marks = new_report.publish_cell(counts[cell.pk], period, cell.name, quarters[cell.pk])
            pubs += 1
            differ += old_marks != new_marks
            assert all(new_marks[k] is not Mark.SHOWN for k, m in old_marks.items() if m is not Mark.SHOWN)
            # The former marks with the quarters' (the same in both versions), audited by this one.
            q_values, q_lines, frozen = {}, [], {}
            for q, q_counts in enumerate(quarters[cell.pk], 1):
                qv, ql = new_report.values_and_lines(q_counts, new_report.quarter_period(period.year, q))
                qm = new_report.suppress(qv, ql) if q < 4 else dict.fromkeys(qv, Mark.MASKED)
                q_values |= {(f"q{q}", k): v for k, v in qv.items()}
                q_lines += [
                    new_report.Line((f"q{q}", ln.total), tuple((f"q{q}", p) for p in ln.parts)) for ln in ql
                ]
                frozen |= {(f"q{q}", k): m for k, m in qm.items()}
            _v, year_lines = new_report.values_and_lines(counts[cell.pk], period)
            all_lines = year_lines + q_lines
            all_lines += [
                new_report.Line(k, tuple(qk for qk in ((f"q{q}", k) for q in range(1, 5)) if qk in q_values))
                for k in values
            ]
            unpublished = frozenset(k for k, m in frozen.items() if m is Mark.MASKED)
            leaked += bool(exposed(values | q_values, all_lines, old_marks | frozen, unpublished))
    print(f"{pubs} publications (cell x year): marks differ in {differ}; former marks leak in {leaked}")

    # "after, cold": this version with its cache of solved LPs emptied before each call (the first
    # view of a publication in a process); "after": with the cache (the views that follow).
    from cmer.stats.suppression import _solve_pinned

    versions = ("before", "after, cold", "after")
    spent: dict[str, list[float]] = {name: [] for name in versions}
    spent_all: dict[str, list[float]] = {name: [] for name in versions}
    for r in range(args.rounds):
        for name in versions[r % 3 :] + versions[: r % 3]:
            module = old_report if name == "before" else new_report
            for _year, period, counts, quarters in cases:
                for cell in cells:
                    if name == "after, cold":
                        _solve_pinned.cache_clear()
                    t0 = time.process_time()
                    module.publish_cell(counts[cell.pk], period, cell.name, quarters[cell.pk])
                    spent[name].append(time.process_time() - t0)
                if name == "after, cold":
                    _solve_pinned.cache_clear()
                t0 = time.process_time()
                module.build(counts, cells, period, "all", quarters)
                spent_all[name].append(time.process_time() - t0)
    for name in versions:
        one, every = spent[name], spent_all[name]
        print(
            f"{name}: publish_cell CPU p50 {statistics.median(one) * 1000:.2f} ms,"
            f" p90 {statistics.quantiles(one, n=10)[-1] * 1000:.2f} ms, max {max(one) * 1000:.2f} ms,"
            f" total {sum(one) / args.rounds * 1000:.0f} ms per round;"
            f" consolidated ({len(cells)} cells) p50 {statistics.median(every) * 1000:.1f} ms"
        )
    print("load " + " ".join(f"{x:.2f}" for x in os.getloadavg()))

    # The statistics page as the bench's P7 requests it (coordinator, default filters: the last
    # completed year), each version's build() in turn, in blocks of 5 requests after a warm-up.
    from django.urls import reverse
    from run import logged_in

    import cmer.stats.views as stats_views

    client, _membership = logged_in("coordinator")
    page: dict[str, list[float]] = {name: [] for name in versions}
    builds = {name: old_report.build if name == "before" else new_report.build for name in versions}
    real = stats_views.build
    try:
        for name in versions:
            stats_views.build = builds[name]
            for _ in range(5):
                assert client.get(reverse("stats:index")).status_code == 200
        for block in range(args.requests // 5):
            for name in versions[block % 3 :] + versions[: block % 3]:
                stats_views.build = builds[name]
                for _ in range(5):
                    if name == "after, cold":
                        _solve_pinned.cache_clear()
                    t0 = time.process_time()
                    assert client.get(reverse("stats:index")).status_code == 200
                    page[name].append(time.process_time() - t0)
    finally:
        stats_views.build = real
    for name in versions:
        print(
            f"{name}: statistics page CPU p50 {statistics.median(page[name]) * 1000:.1f} ms ({len(page[name])} requests)"
        )
    print("load " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
