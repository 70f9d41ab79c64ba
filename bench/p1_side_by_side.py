"""P1 for two checkouts at once: before and after a change, under the same moments of load.

    .venv/bin/python bench/p1_side_by_side.py BEFORE_DIR AFTER_DIR --out FILE [--seconds 150] [--think 4-8]

Each checkout (for instance a `git worktree` of origin/main, and this one) serves the same
scale-1 bench database under its own gunicorn (2 workers, production settings, the bench keys,
ports BENCH_PORT_BASE + 8 and + 9); both are warmed up as P1 is; then locust's users request each
page, the floor included, on both servers in a random order (bench/locustfile.py, as P3 does for
two scales). On a shared machine this is the comparison that holds: two runs one after the other
see different loads. Writes the JSON to FILE (p50, p95, ratios to each side's own floor) and
prints p50 and its ratio per page, before and after.
The database must exist (`make bench SCALE=1 BENCH_ARGS="--only P1"` creates it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load
from run import bench_env


@contextmanager
def server(root: str, port: int) -> Iterator[str]:
    process = subprocess.Popen(
        [load.GUNICORN, "cmer.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level", "warning"],
        cwd=root,
        env=bench_env("1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=5).read()  # nosec B310 — loopback
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--out", required=True, help="where to write the JSON")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=150)
    parser.add_argument(
        "--think", default="4-8", help="seconds between two tasks of a user (each task asks both)"
    )
    args = parser.parse_args()
    sessions = load.child("1", "sessions", str(args.users))
    load_start = load.load()
    base = load._PORT_BASE + 8
    with server(args.before, base) as before, server(args.after, base + 1) as after:
        warm = [load.warm_up(before, sessions), load.warm_up(after, sessions)]
        samples = load.run_locust(
            [{"url": before, "sessions": sessions}, {"url": after, "sessions": sessions}],
            ["floor", *load.KEY_PAGES],
            args.users,
            args.seconds,
            args.think,
        )
    out: dict[str, object] = {
        "scale": "1",
        "users": args.users,
        "seconds": args.seconds,
        "think_time_s": args.think,
        "requests_per_s": round(len(samples) / args.seconds, 2),
        "checkouts": {"before": args.before, "after": args.after},
        "warmup": warm,
        "load_start": load_start,
        "load_end": load.load(),
    }
    for side, name in ((0, "before"), (1, "after")):
        floor = load.summarise(samples, "floor", side)
        pages: dict[str, object] = {"floor": floor}
        for page in load.KEY_PAGES:
            s = load.summarise(samples, page, side)
            s["ratio_p50"] = load.ratio(s["p50_ms"], floor["p50_ms"])
            s["ratio_p95"] = load.ratio(s["p95_ms"], floor["p95_ms"])
            pages[page] = s
        out[name] = pages
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(f"load {out['load_start']} -> {out['load_end']}; {out['requests_per_s']} req/s over both servers")
    for page in ["floor", *load.KEY_PAGES]:
        b, a = out["before"][page], out["after"][page]  # type: ignore[index]
        print(
            f"{page:15} p50 {b['p50_ms']} -> {a['p50_ms']} ms, ratio {b.get('ratio_p50', 1)} -> {a.get('ratio_p50', 1)}"
            f"; p95 {b['p95_ms']} -> {a['p95_ms']} ms"
        )


if __name__ == "__main__":
    main()
