"""The parts of `make bench` beyond bench/run.py's own (P4, P5, P7, CONN): P1, P3/P6, P8, P9.

Each prints its rows (ratio, target, detail, load average beside it) and writes its JSON in
bench/results/: load_<scale>.json (P1), scales_<small>_<scale>.json (P3/P6), purge_<scale>.json
(P8), sustained_<scale>.json (P9).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import load as load_bench
import purge_year
from run import ensure_database

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("P1", "P3", "P8", "P9", "core")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help="comma-separated parts to run: P1, P3 (with P6), P8, P9, core (P4, P5, P7, CONN); default all",
    )
    parser.add_argument("--small-scale", default="0.1", help="P3/P6: the scale compared with --scale")
    parser.add_argument("--load-seconds", type=int, default=90, help="P1 and P3: locust run time")
    parser.add_argument(
        "--think", default=load_bench.THINK, help="P1 and P3: seconds between two requests of a user, min-max"
    )
    parser.add_argument("--p9-seconds", type=int, default=120, help="P9: duration of the 50-user run")
    parser.add_argument("--p9-long", action="store_true", help="P9 as the protocol states it: 10 minutes")
    parser.add_argument("--p8-days", type=int, default=365, help="P8: days of simulated purges")
    parser.add_argument("--p8-step", type=int, default=1, help="P8: days between two purges (1: daily)")
    parser.add_argument("--p8-scale", default="", help="P8: scale of its database (default --scale)")


def _tag(scale: str) -> str:
    return scale.replace(".", "_")


def _write(name: str, data: dict[str, Any]) -> None:
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(f"  written: bench/results/{name}")


def _row(name: str, ratio: object, target: str, detail: str, load_avg: str) -> None:
    print(f"{name:34} {ratio!s:>7} {target:>8}  {detail}  [load {load_avg}]")


def run(args: argparse.Namespace) -> bool:
    """Run the selected parts; True when run.py's own figures (core) are not wanted."""
    selected = {p.strip() for p in args.only.split(",") if p.strip()}
    unknown = selected - set(PARTS)
    if unknown:
        raise SystemExit(
            f"--only: unknown part(s) {', '.join(sorted(unknown))}; choose among {', '.join(PARTS)}"
        )
    scale = args.scale
    if "P1" in selected:
        p1 = load_bench.p1(scale, seconds=args.load_seconds, think=args.think)
        _write(f"load_{_tag(scale)}.json", p1)
        floor = p1["floor"]
        print(
            f"P1 at scale {scale}: {p1['users']} users, {p1['seconds']} s, think {p1['think_time_s']} s, "
            f"{p1['requests_per_s']} req/s served of {p1['offered_per_s']} offered; "
            f"floor p50 {floor['p50_ms']} ms p95 {floor['p95_ms']} ms, {floor['requests']} requests"
        )
        for page, s in p1["pages"].items():
            _row(
                f"P1 {page} / floor p95",
                s["ratio_p95"],
                "<= 1.3",
                f"p50 {s['ratio_p50']}x; {s['p50_ms']}/{s['p95_ms']} ms; {s['requests']} req, {s['errors']} err",
                p1["load_end"],
            )
    if "P3" in selected:
        small = args.small_scale
        ensure_database(small, args.seed)
        p3 = load_bench.p3(small, scale, seconds=args.load_seconds, think=args.think)
        _write(f"scales_{_tag(small)}_{_tag(scale)}.json", p3)
        print(
            f"P3/P6 scale {scale} vs {small}: {p3['users']} users, {p3['seconds']} s, think "
            f"{p3['think_time_s']} s, {p3['requests_per_s']} req/s served, both servers at once"
        )
        for page, s in p3["pages"].items():
            label = "P6" if page == "search" else "P3"
            _row(
                f"{label} {page} {scale} / {small} p50",
                s["ratio_p50"],
                "<= 1.3",
                f"p95 {s['ratio_p95']}x; p50 {s[scale]['p50_ms']} vs {s[small]['p50_ms']} ms",
                p3["load_end"],
            )
    if "P8" in selected:
        p8_scale = args.p8_scale or scale
        ensure_database(p8_scale, args.seed)
        p8 = purge_year.p8(p8_scale, days=args.p8_days, step=args.p8_step)
        _write(f"purge_{_tag(p8_scale)}.json", p8)
        a, b = p8["uninterrupted"], p8["killed_and_resumed"]
        _row(
            f"P8 {p8['days']} d / {p8['step_days']} d at {p8_scale}, RSS MB",
            max(a["peak_rss_mb"], b["peak_rss_mb"]),
            "<= 300",
            f"{a['wall_s']} s in one go; killed after day {b['killed_after_day']}, resumed: "
            f"same rows {p8['same_rows_after_resume']}, verify_audit {a['verify_audit_ok']}/{b['verify_audit_ok']}",
            p8["load_end"],
        )
    if "P9" in selected:
        seconds = 600 if args.p9_long else args.p9_seconds
        p9 = load_bench.p9(scale, seconds=seconds)
        _write(f"sustained_{_tag(scale)}.json", p9)
        _row(
            f"P9 {p9['users']} users x {seconds} s, errors",
            p9["errors"],
            "0",
            f"{p9['requests']} requests ({p9['sent_without_answer_at_stop']} unanswered at stop); events added {p9['audit_events_added']} = audited responses "
            f"{p9['audited_responses']}: {p9['events_match_responses']}; verify_audit {p9['verify_audit_after']}",
            p9["load_end"],
        )
    return "core" not in selected
