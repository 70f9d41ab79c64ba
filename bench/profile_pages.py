"""Where a key page's time goes: one page request split into templates, ORM, crypto, audit,
middleware and the rest, in production settings on the bench database (docs/performance.md, P1).

    .venv/bin/python bench/profile_pages.py [--scale 1] [--requests 30] [--cprofile PAGE] [--json]

Each page is requested in-process with Django's test client by the coordinator bench/load.py signs
in first (same case, same meeting, same search), after a warm-up. The split is exclusive: while a
template evaluates a queryset, the time is the ORM's; while the ORM decrypts a field, it is the
crypto's; the audit event's own SQL counts as audit. "middleware" is the request outside the view
(session, second factor, cell and charter gates, CSP, session save); "view" is the view's own
Python. The floor (/bench/floor/) is measured the same way, so each page's p50 reads against it.
`--cprofile PAGE` prints the functions of the page's heaviest cumulative time instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

PAGES = ["floor", "dashboard", "case_list", "case_detail", "meeting_agenda", "search"]
CATEGORIES = ["templates", "orm", "sql", "crypto", "audit", "view", "middleware"]


class Split:
    """Exclusive time per category: the innermost timed category owns the time."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.spent: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[tuple[str, float]] = []

    def enter(self, category: str) -> None:
        now = self.clock()
        if self.stack:
            top, since = self.stack[-1]
            self.spent[top] += now - since
        self.stack.append((category, now))
        self.calls[category] += 1

    def leave(self) -> None:
        now = self.clock()
        category, since = self.stack.pop()
        self.spent[category] += now - since
        if self.stack:
            self.stack[-1] = (self.stack[-1][0], now)

    def wrap(self, category: str, fn: Callable[..., Any], sticky: bool = False) -> Callable[..., Any]:
        """`sticky`: the category keeps what runs inside it (the audit event's own SQL)."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            # Outside the view (middleware, session save) everything is the middleware's.
            outside = not self.stack and category != "view"
            if outside or (self.stack and self.stack[-1][0] == "audit" and not sticky):
                return fn(*args, **kwargs)
            self.enter(category)
            try:
                return fn(*args, **kwargs)
            finally:
                self.leave()

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed


def _replace_everywhere(original: Any, replacement: Any) -> None:
    """Swap a function in every module that imported it by name (`from x import record`)."""
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if not namespace:
            continue
        for name, value in list(namespace.items()):
            if value is original:
                setattr(module, name, replacement)


def instrument(split: Split) -> None:
    from django.core.handlers.base import BaseHandler
    from django.db.backends.utils import CursorWrapper
    from django.db.models.query import QuerySet
    from django.db.models.sql.compiler import SQLCompiler
    from django.template.base import Template

    import cmer.audit.services as audit_services
    import cmer.core.crypto as crypto

    Template.render = split.wrap("templates", Template.render)  # type: ignore[method-assign]
    QuerySet._fetch_all = split.wrap("orm", QuerySet._fetch_all)  # type: ignore[method-assign]
    SQLCompiler.execute_sql = split.wrap("orm", SQLCompiler.execute_sql)  # type: ignore[method-assign]
    CursorWrapper.execute = split.wrap("sql", CursorWrapper.execute)  # type: ignore[method-assign]
    CursorWrapper.executemany = split.wrap("sql", CursorWrapper.executemany)  # type: ignore[method-assign]
    for name in ("decrypt", "blind_index"):
        original = getattr(crypto, name)
        _replace_everywhere(original, split.wrap("crypto", original))
    _replace_everywhere(audit_services.record, split.wrap("audit", audit_services.record, sticky=True))

    resolve = BaseHandler.resolve_request

    def resolve_request(self: BaseHandler, request: Any) -> Any:
        match = resolve(self, request)
        match.func = split.wrap("view", match.func)
        return match

    BaseHandler.resolve_request = resolve_request  # type: ignore[method-assign]


def targets() -> tuple[Any, dict[str, str], dict[str, str]]:
    """A test client signed in as bench/load.py's first user, its URLs and its search."""
    import load
    from django.conf import settings
    from django.test import Client

    session = load.open_sessions(1)[0]
    client = Client(HTTP_HOST="127.0.0.1")
    for part in session["cookie"].split("; "):
        name, value = part.split("=", 1)
        client.cookies[name] = value
    assert settings.SESSION_COOKIE_NAME in client.cookies
    return client, session["urls"], session["search"]


def request(client: Any, urls: dict[str, str], search: dict[str, str], page: str) -> Any:
    response = client.post(urls[page], search) if page == "search" else client.get(urls[page])
    assert response.status_code == 200, (page, response.status_code)
    return response


def measure(requests: int, clock: str) -> dict[str, Any]:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client, urls, search = targets()
    split = Split(time.process_time if clock == "cpu" else time.perf_counter)
    instrument(split)
    out: dict[str, Any] = {}
    for page in PAGES:  # warm-up: template loading, first connection, caches of the process
        for _ in range(3):
            request(client, urls, search, page)
    rows: dict[str, list[dict[str, float]]] = {page: [] for page in PAGES}
    queries: dict[str, int] = {}
    # Interleaved page by page, so a burst of load on the shared machine hits every page alike.
    for _ in range(requests):
        for page in PAGES:
            split.spent.clear()
            split.calls.clear()
            with CaptureQueriesContext(connection) as captured:
                t0, c0 = time.perf_counter(), time.process_time()
                response = request(client, urls, search, page)
                total, cpu = time.perf_counter() - t0, time.process_time() - c0
            queries[page] = len(captured.captured_queries)
            spent = dict(split.spent)
            row = {k: spent.get(k, 0.0) for k in CATEGORIES if k != "middleware"}
            row["middleware"] = (cpu if clock == "cpu" else total) - sum(spent.values())
            row["total"] = total
            row["cpu"] = cpu
            row["bytes"] = len(response.content)
            row["decrypts"] = split.calls.get("crypto", 0)
            rows[page].append(row)
    for page in PAGES:
        medians = {k: statistics.median(r[k] for r in rows[page]) for k in rows[page][0]}
        out[page] = {
            "requests": len(rows[page]),
            "queries": queries[page],
            "crypto_calls": int(medians.pop("decrypts")),
            "bytes": int(medians.pop("bytes")),
            **{f"{k}_ms": round(v * 1000, 2) for k, v in medians.items()},
        }
    floor = out["floor"]["total_ms"]
    for page in PAGES:
        out[page]["ratio_p50_to_floor"] = round(out[page]["total_ms"] / floor, 2)
    return out


def profile(page: str, requests: int) -> str:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    client, urls, search = targets()
    for _ in range(3):
        request(client, urls, search, page)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        request(client, urls, search, page)
    profiler.disable()
    if os.environ.get("PROFILE_DUMP"):  # for pstats by hand: print_callers, print_callees
        profiler.dump_stats(os.environ["PROFILE_DUMP"])
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(70)
    stats.sort_stats("tottime").print_stats(30)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="1")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--cprofile", default="", help="a page name: print its cProfile instead")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="clock of the split: this process's CPU time (default: steadier on a busy machine) or wall time",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.cprofile:
            print(profile(args.cprofile, args.requests))
        else:
            print(json.dumps(measure(args.requests, args.clock)))
        return

    from run import load, run_child

    load_start = load()
    options = ["--child", "--requests", str(args.requests), "--clock", args.clock]
    stdout = run_child(
        __file__, args.scale, *options, *(["--cprofile", args.cprofile] if args.cprofile else [])
    )
    if args.cprofile:
        print(stdout)
        return
    figures = json.loads(stdout.strip().splitlines()[-1])
    load_end = load()
    if args.json:
        print(
            json.dumps(
                {"clock": args.clock, "pages": figures, "load_start": load_start, "load_end": load_end},
                indent=2,
            )
        )
        return
    print(
        f"in-process p50 per page (ms), {args.requests} interleaved requests each; load {load_start} → {load_end}"
    )
    header = [
        "page",
        "total",
        "/floor",
        "cpu",
        "templates",
        "orm",
        "sql",
        "crypto",
        "audit",
        "view",
        "middleware",
    ]
    print(f"{header[0]:15}" + "".join(f"{h:>11}" for h in header[1:]) + "    queries decrypts bytes")
    for page, f in figures.items():
        cells = [f["total_ms"], f["ratio_p50_to_floor"], f["cpu_ms"]] + [f[f"{k}_ms"] for k in CATEGORIES]
        print(
            f"{page:15}"
            + "".join(f"{c:>11}" for c in cells)
            + f"    {f['queries']:>7} {f['crypto_calls']:>8} {f['bytes']}"
        )
    print(
        "(total: wall time; cpu: this process's CPU time; the split is exclusive: orm excludes its sql, "
        "templates the orm they evaluate; ratio: total / floor's total)"
    )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
