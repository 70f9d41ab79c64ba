from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from cmer.progress import bar, stream_of
from cmer.scale.generator import GenerationRefused, Generator, check_database


class Command(BaseCommand):
    help = (
        "Generate deterministic fake data at a scale of docs/performance.md (1 = one département). "
        "Refuses a database holding real cells unless --force."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", type=float, required=True, help="0.1, 1, 10 (or smaller, for tests)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="also on a database with other cells")
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self, *args: Any, scale: float, seed: int, force: bool, no_progress: bool, **options: Any
    ) -> None:
        if not 0 < scale <= 100:
            raise CommandError("--scale must be in (0, 100].")
        try:
            import faker  # noqa: F401  (a development dependency: generated data only)
        except ImportError as exc:
            raise CommandError("generate_scale needs the development requirements (Faker).") from exc
        try:
            check_database(force=force)
        except GenerationRefused as exc:
            raise CommandError(str(exc)) from exc
        progress = None
        if not no_progress:
            stream = stream_of(self)

            def progress(label: str, total: int) -> Any:
                return bar(label, total=total, unit="", stream=stream)

        started = time.perf_counter()
        try:
            figures = Generator(scale=scale, seed=seed, progress=progress).run()
        except GenerationRefused as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        if connection.vendor == "postgresql":
            # Bulk inserts leave the planner's statistics empty until autovacuum comes by: a page
            # measured right after would be planned for empty tables (seen at scale 10: 40 rows
            # estimated for 35,936). Real installations grow slowly and are analysed as they go.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(f"Scale {scale} (seed {seed}) generated in {elapsed:.1f} s: {figures}")
        )
