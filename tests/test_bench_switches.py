"""The bench's switches stay off unless set, and the production database default is persistent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import override_settings

from cmer.core.checks import bench_pages_are_off
from tests.production_env import production_env

ROOT = Path(__file__).resolve().parent.parent


def test_bench_pages_are_off_by_default_and_refused_by_the_deploy_check(client) -> None:
    assert settings.CMER_BENCH is False
    assert client.get("/bench/floor/").status_code == 404
    assert bench_pages_are_off() == []
    with override_settings(CMER_BENCH=True):
        assert [e.id for e in bench_pages_are_off()] == ["cmer.E010"]


def test_persistent_database_connections_by_default_in_production() -> None:
    # A new PostgreSQL connection per request was the largest share of a light page (bench CONN).
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    env = production_env(DATABASE_URL="postgres://u:p@127.0.0.1:5432/none")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["60", "True"]


def test_the_floor_page_runs_one_query(rf, db, django_assert_num_queries) -> None:
    from cmer.scale.views import floor

    request = rf.get("/bench/floor/")
    with django_assert_num_queries(1):
        response = floor(request)
    assert response.status_code == 200 and len(response.content) > 15_000


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    code = "import django; django.setup(); from django.conf import settings; print(settings.CMER_BENCH)"
    return subprocess.run(
        [sys.executable, "-c", code], env=production_env(**env), cwd=ROOT, capture_output=True, text=True
    )


def test_the_bench_switch_refuses_an_installations_keys() -> None:
    # production_env() gives random keys, as a real installation has: the bench must not start there.
    refused = _settings_with(CMER_BENCH="1")
    assert refused.returncode != 0
    assert "CMER_BENCH is for bench/run.py on generated data" in refused.stderr


def test_the_bench_switch_needs_every_key_to_be_the_public_one() -> None:
    dev = settings.DEVELOPMENT_SECRET_KEY
    public = {
        "CMER_SECRET_KEY": dev,
        "CMER_AUDIT_KEY": f"audit:{dev}",
        "CMER_FIELD_KEYS": f"k1:{dev}",
        "CMER_BLIND_INDEX_KEY": f"bidx:{dev}",
    }
    assert _settings_with(CMER_BENCH="1", **public).stdout.split() == ["True"]
    # One real key (here the field encryption's) is enough to refuse: real data could be read.
    one_real = _settings_with(CMER_BENCH="1", **{**public, "CMER_FIELD_KEYS": "k1:" + "x" * 64})
    assert one_real.returncode != 0 and "CMER_BENCH" in one_real.stderr
    # Without the switch the same keys load as usual, bench pages unmounted.
    assert _settings_with(**public).stdout.split() == ["False"]
