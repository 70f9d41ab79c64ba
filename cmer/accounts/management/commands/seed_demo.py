from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from faker import Faker

from cmer import progress
from cmer.accounts import demo as accounts_demo


class Command(BaseCommand):
    help = "Load fictitious demo data (two cells, one account per role). Refuses outside DEBUG."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with CMER_DEBUG=1 (demo data is fake).")
        faker = Faker("fr_FR")
        faker.seed_instance(seed)
        loaders = demo_loaders()
        stream = progress.stream_of(self)
        with (
            transaction.atomic(),
            progress.bar("demo data", total=1 + len(loaders), unit="app", stream=stream) as apps_done,
        ):
            accounts = accounts_demo.seed(faker)
            apps_done.update(1)
            for loader in loaders:
                loader(faker)
                apps_done.update(1)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded. Accounts (password for all: {accounts_demo.DEMO_PASSWORD}):"
            )
        )
        for email, label in accounts:
            self.stdout.write(f"  {email:42} {label}")
        self.stdout.write(
            "Second factor: with CMER_DEBUG=1 and CMER_DEMO=1 the code 000000 is accepted (never otherwise)."
        )


def demo_loaders() -> list[Any]:
    """Each app may have a `demo.seed(faker)`; they run in INSTALLED_APPS order after accounts."""
    loaders = []
    for config in apps.get_app_configs():
        if config.name.startswith("cmer.") and config.label not in {"accounts", "core"}:
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            loaders.append(module.seed)
    return loaders
