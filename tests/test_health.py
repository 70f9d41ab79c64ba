"""Readiness: /sante/ (public JSON, 200 or 503 naming the failing check) and `manage.py doctor`."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cmer.audit import checkpoints
from cmer.audit.services import record
from cmer.core.health import PURGE, WORKER, beat
from cmer.core.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def healthy(settings, tmp_path):
    """Every periodic job has just run: a worker beat, a real purge, a checkpoint of the chain."""
    folder = tmp_path / "audit"
    folder.mkdir(mode=0o700)
    settings.CMER_AUDIT_CHECKPOINT_PATH = str(folder / "checkpoints.jsonl")
    record(action="auth.login")
    checkpoints.write_checkpoint()
    (folder / "checkpoints.jsonl").chmod(0o600)
    beat(WORKER)
    beat(PURGE)
    return folder / "checkpoints.jsonl"


def test_sante_answers_200_when_healthy_without_login(client, healthy):
    response = client.get(reverse("core:sante"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["failing"] == []
    assert set(body["checks"]) == {"database", "migrations", "worker", "purge", "checkpoint"}
    assert all(check["ok"] for check in body["checks"].values())
    assert "no-store" in response["Cache-Control"]


def test_sante_answers_503_naming_a_stale_worker_heartbeat(client, healthy, settings):
    Heartbeat.objects.filter(name=WORKER).update(
        at=timezone.now() - timedelta(seconds=settings.CMER_HEALTH_WORKER_MAX_AGE + 60)
    )
    response = client.get(reverse("core:sante"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail" and body["failing"] == ["worker"]
    assert body["checks"]["worker"]["age_seconds"] > settings.CMER_HEALTH_WORKER_MAX_AGE
    # Names, yes/no and ages only: nothing else can leak (no path, no detail, no data).
    assert set(json.dumps(body)) <= set('{}[]":, _-0123456789abcdefghijklmnopqrstuvwxyz')
    for check in body["checks"].values():
        assert set(check) == {"ok", "age_seconds"}


def test_sante_answers_the_same_whatever_the_session(world, healthy):
    """A signed-in browser (second factor pending, no cell chosen) gets the JSON, not a redirect."""
    from django.test import Client

    from tests.personas import password_only_login, persona_client

    pending = password_only_login(Client(), world.persona("member")[0])
    for client in (pending, persona_client(world, "staff"), persona_client(world, "coordinator")):
        response = client.get(reverse("core:sante"))
        assert (response.status_code, response.json()["status"]) == (200, "ok")


def test_sante_names_each_job_that_never_ran(client, settings, tmp_path):
    settings.CMER_AUDIT_CHECKPOINT_PATH = str(tmp_path / "none.jsonl")
    response = client.get(reverse("core:sante"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker", "purge", "checkpoint"]


def test_worker_runs_the_heartbeat_it_was_given():
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    call_command("worker_heartbeat", stdout=StringIO())
    queued = DBTaskResult.objects.get()
    assert not Heartbeat.objects.exists()
    # The worker's own task runner (the db_worker loop would close the test's connection).
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=1,
        worker_id="test",
        excluded_queue_names=[],
    )
    worker.run_task(queued)
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert timezone.now() - Heartbeat.objects.get(name=WORKER).at < timedelta(minutes=1)


def test_a_real_purge_beats_a_dry_run_does_not():
    call_command("purge", stdout=StringIO())
    assert not Heartbeat.objects.filter(name=PURGE).exists()
    call_command("purge", "--wet-run", stdout=StringIO())
    assert Heartbeat.objects.filter(name=PURGE).exists()


def _doctor() -> tuple[str, str]:
    out = StringIO()
    try:
        call_command("doctor", stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), ""


def test_doctor_passes_on_a_healthy_installation(healthy, settings, monkeypatch):
    monkeypatch.setenv("CMER_SECRET_KEY", "x" * 50)
    settings.CMER_DERIVED_KEYS = []
    out, error = _doctor()
    assert error == "", out
    assert out.splitlines()[-1] == "all checks pass"
    assert "audit_chain" in out and "checkpoint_file" in out and "keys" in out


def test_doctor_names_derived_keys_loose_permissions_and_a_stale_worker(healthy, settings, monkeypatch):
    monkeypatch.delenv("CMER_SECRET_KEY", raising=False)
    settings.CMER_DERIVED_KEYS = ["CMER_AUDIT_KEY"]
    healthy.chmod(0o666)
    Heartbeat.objects.filter(name=WORKER).update(at=timezone.now() - timedelta(days=1))
    out, error = _doctor()
    assert error == "failing: worker, keys, checkpoint_file"
    assert "CMER_SECRET_KEY, CMER_AUDIT_KEY" in out
    assert "writable by group or others" in out


def test_doctor_sees_a_checkpoint_the_chain_no_longer_holds(healthy, settings, monkeypatch):
    monkeypatch.setenv("CMER_SECRET_KEY", "x" * 50)
    settings.CMER_DERIVED_KEYS = []
    line = json.loads(healthy.read_text().splitlines()[-1])
    with open(healthy, "a") as handle:
        handle.write(json.dumps({**line, "hash": "f" * 64}) + "\n")
    out, error = _doctor()
    assert error == "failing: audit_chain"
    assert "no longer has the hash" in out
