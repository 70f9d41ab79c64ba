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
