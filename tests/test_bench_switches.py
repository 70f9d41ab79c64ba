"""The bench's switches stay off unless set, and the production database default is persistent."""

from __future__ import annotations

from django.conf import settings
from django.test import override_settings

from cmer.core.checks import bench_pages_are_off


def test_bench_pages_are_off_by_default_and_refused_by_the_deploy_check(client) -> None:
    assert settings.CMER_BENCH is False
    assert client.get("/bench/floor/").status_code == 404
    assert bench_pages_are_off() == []
    with override_settings(CMER_BENCH=True):
        assert [e.id for e in bench_pages_are_off()] == ["cmer.E010"]


def test_persistent_database_connections_by_default() -> None:
    # A new PostgreSQL connection per request was the largest share of a light page (bench CONN).
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_the_floor_page_runs_one_query(rf, db, django_assert_num_queries) -> None:
    from cmer.scale.views import floor

    request = rf.get("/bench/floor/")
    with django_assert_num_queries(1):
        response = floor(request)
    assert response.status_code == 200 and len(response.content) > 15_000
