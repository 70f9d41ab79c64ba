"""The load benchmarks of docs/performance.md, run by bench/run.py: P1, P3/P6 and P9.

gunicorn (2 workers, production settings, persistent connections) serves a generated database on
127.0.0.1; locust (bench/locustfile.py, headless, bounded users and duration) plays signed-in
members. Their sessions are opened beforehand by this bench process writing them into the
database, as Django's test client does (`force_login` plus the verified second factor, the login
time and the current cell): no URL or setting of the application can open a session that way.

  P1    key pages under 20 users, each against the framework floor (/bench/floor/: a page of the
        same size, one query, the same middleware for the same signed-in user) in the same run
  P3/P6 the same pages on two scales served side by side, each request made on both in a random order
  P9    50 users of mixed pages: no error, one audit event per audited response, chain verified
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from run import bench_env, load, run_child  # noqa: E402

KEY_PAGES = ["dashboard", "case_list", "case_detail", "meeting_agenda", "statistics", "search"]
# Audited responses and the one event each writes (docs/rules.md: every read of personal data).
AUDITED = {"case_detail": "case.read", "search": "person.search"}
# Ten ports from BENCH_PORT_BASE (8130): two people benchmarking at once keep apart, as with BENCH_DB_PREFIX.
_PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "8130"))
PORTS = iter(range(_PORT_BASE, _PORT_BASE + 10))
SENT: Counter[str] = Counter()  # requests sent per page in the last locust run
# Seconds a user waits between two requests (min-max): a person reading pages.
THINK = "2-4"
# P9 is a sustained load, not a latency figure: users as busy as in a meeting.
THINK_P9 = "0.5-1.5"
# Warm-up before P1 and P3: every page requested this many times per session, not counted.
WARMUP_ROUNDS = 2
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def locust_bin() -> str:
    """The locust of this venv (requirements-dev.txt), or BENCH_LOCUST."""
    for candidate in (
        os.environ.get("BENCH_LOCUST", ""),
        str(Path(sys.executable).parent / "locust"),
        str(ROOT / ".venv-own" / "bin" / "locust"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit("locust not found: install requirements-dev.txt (or set BENCH_LOCUST)")


# --- run in a child with the bench environment (Django set up on the scale's database) ----------
def open_sessions(count: int) -> list[dict[str, Any]]:
    """Sessions of coordinators (one per cell, reused round-robin), with each one's targets."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from django_otp import DEVICE_ID_SESSION_KEY

    from cmer.accounts.models import Membership, TOTPDevice
    from cmer.cases.models import Case
    from cmer.meetings.models import Meeting

    coordinators = list(
        Membership.objects.filter(role="coordinator", cell__is_active=True)
        .select_related("user", "cell")
        .order_by("cell_id", "pk")
        .distinct("cell_id")
    )
    out = []
    for i in range(count):
        membership = coordinators[i % len(coordinators)]
        cases = Case.objects.visible_to(membership).select_related("person").order_by("pk")
        case = cases.filter(state="support").first() or cases.exclude(state="archived").first()
        meetings = Meeting.objects.filter(cell=membership.cell, cancelled_at=None)
        # The next meeting (its agenda being prepared), else the latest one.
        meeting = (
            meetings.filter(starts_at__gt=timezone.now()).order_by("starts_at").first() or meetings.first()
        )
        client = Client()
        client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=membership.user).first().persistent_id
        session["cmer_login_at"] = time.time()
        session["cmer_membership"] = membership.pk
        session.save()
        csrf = get_random_string(32)  # an unmasked CSRF secret, as the cookie and form accept it
        person = case.person
        out.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
                f"{settings.CSRF_COOKIE_NAME}={csrf}",
                "csrf": csrf,
                "urls": {
                    "floor": "/bench/floor/",
                    "dashboard": reverse("core:dashboard"),
                    "case_list": reverse("cases:list"),
                    "case_detail": reverse("cases:detail", args=[case.pk]),
                    "meeting_agenda": reverse("meetings:detail", args=[meeting.pk]),
                    "statistics": reverse("stats:index"),
                    "search": reverse("cases:search"),
                },
                "search": {
                    "last_name": person.last_name,
                    "first_name": person.first_name,
                    "birth_date": person.birth_date,
                },
                "search_marker": case.reference,
            }
        )
    return out


def audit_state() -> dict[str, Any]:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.db.models import Count

    from cmer.audit.models import AuditEvent

    return {"by_action": dict(AuditEvent.objects.values_list("action").annotate(n=Count("pk")).order_by())}


def child(scale: str, what: str, *args: str) -> Any:
    """This script's `what` part on the scale's database: the JSON of its last line."""
    return json.loads(run_child(__file__, scale, what, *args).strip().splitlines()[-1])


# --- servers and locust ---------------------------------------------------------------------------
@contextmanager
def gunicorn(scale: str) -> Iterator[str]:
    port = next(PORTS)
    server = subprocess.Popen(
        [GUNICORN, "cmer.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level", "warning"],
        cwd=ROOT,
        env=bench_env(scale),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a loaded shared machine boots workers slowly
        while True:
            try:
                urllib.request.urlopen(url + "/healthz", timeout=5).read()  # nosec B310 — loopback
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a worker still busy on a loaded machine
            server.kill()
            server.wait()


def run_locust(
    targets: list[dict[str, Any]], pages: list[str], users: int, seconds: int, think: str = THINK
) -> list[list[Any]]:
    with tempfile.TemporaryDirectory(prefix="cmer-bench-") as tmp:
        spec, out = Path(tmp) / "targets.json", Path(tmp) / "samples.json"
        spec.write_text(json.dumps(targets))
        wait_min, wait_max = think.split("-")
        env = {
            **os.environ,
            "BENCH_TARGETS": str(spec),
            "BENCH_PAGES": ",".join(pages),
            "BENCH_OUT": str(out),
            "BENCH_WAIT_MIN": wait_min,
            "BENCH_WAIT_MAX": wait_max,
        }
        command = [
            locust_bin(),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            # Users finish the request they are in (bounded): P9 counts every answer against its event.
            "--stop-timeout",
            "120",
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        print(
            f"  locust: {users} users, {seconds} s, think {think} s, pages {','.join(pages)} on {len(targets)} server(s)"
        )
        subprocess.run(command, cwd=ROOT, env=env, check=False, capture_output=True, text=True)
        if not out.exists():
            sys.exit("locust wrote no samples")
        SENT.clear()
        SENT.update(json.loads(Path(f"{out}.sent").read_text()))
        return json.loads(out.read_text())


def warm_up(url: str, sessions: list[dict[str, Any]], rounds: int = WARMUP_ROUNDS) -> dict[str, Any]:
    """Every page, for every session, `rounds` times, 4 at a time, before the measured run.

    Not counted: the first requests of a gunicorn worker pay once for what the process then keeps
    (URLconf import, template compilation, the database connection, the translation catalogues),
    and with ~90 requests per page those few first ones were the page's p95. Four at a time keeps
    both workers busy, so each one gets its share of every page.
    """
    pages = ["floor", *KEY_PAGES]
    jobs = [(s, p) for _ in range(rounds) for s in sessions for p in pages]
    errors = 0

    def one(job: tuple[dict[str, Any], str]) -> int:
        session, page = job
        headers = {"Cookie": session["cookie"]}
        data = None
        if page == "search":
            form = {**session["search"], "csrfmiddlewaretoken": session["csrf"]}
            data = urllib.parse.urlencode(form).encode()
        req = urllib.request.Request(url + session["urls"][page], data=data, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as response:  # nosec B310 — loopback
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        for status in pool.map(one, jobs):
            errors += status != 200
    return {
        "rounds": rounds,
        "requests": len(jobs),
        "errors": errors,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def summarise(samples: list[list[Any]], page: str, server: int) -> dict[str, Any]:
    mine = [s for s in samples if s[0] == page and s[1] == server]
    ok = [s[2] for s in mine if s[3] == 200]
    return {
        "requests": len(mine),
        "errors": len(mine) - len(ok),
        "p50_ms": round(statistics.median(ok), 1) if ok else None,
        "p95_ms": round(statistics.quantiles(ok, n=100, method="inclusive")[94], 1) if len(ok) > 1 else None,
        "bytes": round(statistics.median(s[4] for s in mine)) if mine else None,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


# --- the benchmarks -------------------------------------------------------------------------------
def p1(scale: str, users: int = 20, seconds: int = 90, think: str = THINK) -> dict[str, Any]:
    """Key pages vs the floor, same server, same users, same moments."""
    sessions = child(scale, "sessions", str(users))
    load_start = load()
    with gunicorn(scale) as url:
        warm = warm_up(url, sessions)
        samples = run_locust(
            [{"url": url, "sessions": sessions}], ["floor", *KEY_PAGES], users, seconds, think
        )
    floor = summarise(samples, "floor", 0)
    pages = {}
    for page in KEY_PAGES:
        s = summarise(samples, page, 0)
        s["ratio_p50"] = ratio(s["p50_ms"], floor["p50_ms"])
        s["ratio_p95"] = ratio(s["p95_ms"], floor["p95_ms"])
        pages[page] = s
    return {
        "scale": scale,
        "users": users,
        "seconds": seconds,
        "think_time_s": think,
        # Served vs offered: when the server cannot keep up, queueing dominates every latency.
        "requests_per_s": round(len(samples) / seconds, 2),
        "offered_per_s": round(users / (sum(map(float, think.split("-"))) / 2), 2),
        "floor": floor,
        "pages": pages,
        "target_ratio_p95": 1.3,
        "warmup": warm,
        "load_start": load_start,
        "load_end": load(),
    }


def p3(small: str, large: str, users: int = 20, seconds: int = 90, think: str = THINK) -> dict[str, Any]:
    """The same pages on two scales at once; each task asks both, in a random order (P6: search)."""
    targets = []
    load_start = load()
    with gunicorn(small) as url_small, gunicorn(large) as url_large:
        for scale, url in ((small, url_small), (large, url_large)):
            targets.append({"url": url, "sessions": child(scale, "sessions", str(users))})
        warm = [warm_up(t["url"], t["sessions"]) for t in targets]
        samples = run_locust(targets, ["floor", *KEY_PAGES], users, seconds, think)
    pages = {}
    for page in ["floor", *KEY_PAGES]:
        a, b = summarise(samples, page, 0), summarise(samples, page, 1)
        pages[page] = {
            small: a,
            large: b,
            "ratio_p50": ratio(b["p50_ms"], a["p50_ms"]),
            "ratio_p95": ratio(b["p95_ms"], a["p95_ms"]),
        }
    return {
        "scales": [small, large],
        "users": users,
        "seconds": seconds,
        "think_time_s": think,
        "requests_per_s": round(len(samples) / seconds, 2),
        "pages": pages,
        "target_ratio_p50": 1.3,
        "warmup": warm,
        "load_start": load_start,
        "load_end": load(),
    }


def p9(scale: str, users: int = 50, seconds: int = 120) -> dict[str, Any]:
    """Sustained mixed load: errors, audit events added vs audited responses, chain verified after."""
    sessions = child(scale, "sessions", str(users))
    before = child(scale, "audit")
    load_start = load()
    with gunicorn(scale) as url:
        samples = run_locust([{"url": url, "sessions": sessions}], KEY_PAGES, users, seconds, THINK_P9)
    after = child(scale, "audit")
    verified = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        env=bench_env(scale),
        capture_output=True,
        text=True,
    )
    statuses = Counter(str(s[3]) for s in samples)
    audited = Counter(AUDITED[s[0]] for s in samples if s[0] in AUDITED and s[3] == 200)
    unanswered = sum(SENT.values()) - len(samples)
    added = {
        action: after["by_action"].get(action, 0) - before["by_action"].get(action, 0)
        for action in set(after["by_action"]) | set(before["by_action"])
    }
    added = {k: v for k, v in added.items() if v}
    return {
        "scale": scale,
        "users": users,
        "seconds": seconds,
        "requests": len(samples),
        "think_time_s": THINK_P9,
        "sent_without_answer_at_stop": unanswered,
        "statuses": dict(statuses),
        "errors": len(samples) - statuses.get("200", 0),
        "audited_responses": dict(audited),
        "audit_events_added": added,
        "events_match_responses": added == dict(audited),
        "verify_audit_after": verified.returncode == 0,
        "verify_audit_output": verified.stdout.strip().splitlines()[-1:],
        "load_start": load_start,
        "load_end": load(),
    }


if __name__ == "__main__":
    if sys.argv[1] == "sessions":
        print(json.dumps(open_sessions(int(sys.argv[2]))))
    elif sys.argv[1] == "audit":
        print(json.dumps(audit_state()))
