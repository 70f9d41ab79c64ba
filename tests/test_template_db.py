"""The test databases copied from the migrated template (tests/template_db.py) are up to date."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.template_db import migrations_key


@pytest.mark.django_db
def test_the_test_database_has_every_migration_applied():
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_the_template_is_named_after_every_migration_file(tmp_path, monkeypatch):
    """A changed migration (or a new one, of any app) names another template."""
    from django.apps import apps

    config = apps.get_app_config("core")
    before = migrations_key()
    copy = tmp_path / "core"
    (copy / "migrations").mkdir(parents=True)
    for path in (Path(config.path) / "migrations").glob("*.py"):
        (copy / "migrations" / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(config, "path", str(copy))
    assert migrations_key() == before
    first = sorted((copy / "migrations").glob("0*.py"))[0]
    first.write_bytes(first.read_bytes() + b"\n# changed\n")
    changed = migrations_key()
    assert changed != before
    (copy / "migrations" / "9999_new.py").write_text("# a new migration\n")
    assert migrations_key() not in (before, changed)
