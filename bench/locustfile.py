"""Locust users of bench/load.py (P1, P3/P6, P9): signed-in members reading the key pages.

Run by bench/load.py only, in its own process (locust monkey-patches with gevent: docs/stack.md
gotcha 21), against gunicorn on 127.0.0.1. Read from the environment:

  BENCH_TARGETS  JSON file: per server, its URL and the sessions bench/load.py opened for it
  BENCH_PAGES    comma-separated page names to request (see PAGES), the floor included
  BENCH_OUT      where every sample is written when the run stops

Each task picks one page at random and requests it on every server in a random order, so the
pages and their baselines (the floor; the other scale) share the same moments of load.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

TARGETS: list[dict[str, Any]] = json.loads(Path(os.environ["BENCH_TARGETS"]).read_text())
PAGES = os.environ["BENCH_PAGES"].split(",")
SAMPLES: list[tuple[str, int, float, int, int]] = []  # page, server, ms, status, bytes
SENT: Counter[str] = Counter()  # requests sent per page, answered or not when the run stopped
_next = itertools.count()


def request_page(user: HttpUser, server: int, session: dict[str, Any], page: str) -> None:
    base = TARGETS[server]["url"]
    headers = {"Cookie": session["cookie"]}
    kwargs: dict[str, Any] = {"headers": headers, "allow_redirects": False, "catch_response": True}
    name = f"{page}@{server}"
    SENT[page] += 1
    if page == "search":
        # POST only: names never travel in a URL (docs/security.md #6).
        data = {**session["search"], "csrfmiddlewaretoken": session["csrf"]}
        ctx = user.client.post(base + session["urls"][page], data=data, name=name, **kwargs)
    else:
        ctx = user.client.get(base + session["urls"][page], name=name, **kwargs)
    with ctx as response:
        ok = response.status_code == 200
        if page == "search" and ok and session["search_marker"] not in response.text:
            ok = False
            response.failure("the searched person's case is not in the results")
        elif not ok:
            response.failure(f"HTTP {response.status_code}")
        else:
            response.success()
        SAMPLES.append(
            (
                page,
                server,
                response.request_meta["response_time"],
                response.status_code,
                len(response.content),
            )
        )


class Member(HttpUser):
    host = "http://127.0.0.1"  # every URL is absolute (one or two servers)
    wait_time = between(
        float(os.environ.get("BENCH_WAIT_MIN", "0.5")), float(os.environ.get("BENCH_WAIT_MAX", "1.5"))
    )

    def on_start(self) -> None:
        n = next(_next)
        self.sessions = [t["sessions"][n % len(t["sessions"])] for t in TARGETS]

    @task
    def one_page(self) -> None:
        page = random.choice(PAGES)  # nosec B311 — load generation, not security
        order = list(range(len(TARGETS)))
        random.shuffle(order)  # nosec B311
        for server in order:
            request_page(self, server, self.sessions[server], page)


@events.quitting.add_listener
def write_samples(environment: Any, **_: Any) -> None:
    Path(os.environ["BENCH_OUT"]).write_text(json.dumps(SAMPLES))
    Path(os.environ["BENCH_OUT"] + ".sent").write_text(json.dumps(SENT))
