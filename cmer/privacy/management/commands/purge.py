from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cmer import progress
from cmer.accounts.models import Cell
from cmer.privacy.purge import purge_all, purge_run


class Command(BaseCommand):
    help = "Archive ended cases and destroy what is past retention. Dry run unless --wet-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wet-run", action="store_true", help="Act: without it nothing changes.")
        parser.add_argument("--cell", help="Code of one cell (default: every active cell).")
        parser.add_argument("--today", help="Reference date YYYY-MM-DD (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError as exc:
            raise CommandError("--today must read YYYY-MM-DD") from exc
        wet = options["wet_run"]
        stream = progress.stream_of(self)
        if options["cell"]:
            cell = Cell.objects.filter(code=options["cell"]).first()
            if cell is None:
                raise CommandError(f"No cell with code {options['cell']!r}")
            with progress.bar("purge", total=1, unit="cell", stream=stream) as cells:
                reports = [purge_run(cell=cell, today=today, wet_run=wet, trigger="command")]
                cells.update(1)
        else:
            total = Cell.objects.filter(is_active=True).count()
            with progress.bar("purge", total=total, unit="cell", stream=stream) as cells:
                reports = purge_all(today=today, wet_run=wet, trigger="command", on_cell=cells.update)
        mode = "WET RUN" if wet else "DRY RUN (nothing changed; use --wet-run to act)"
        # One line (a cron mail, a journal entry): per cell its code, its report and counts per kind.
        cells = "; ".join(
            f"cell {r.cell.code} report #{r.pk} as of {r.as_of}: "
            + (", ".join(f"{kind}: {count}" for kind, count in r.counts.items()) or "nothing due")
            for r in reports
        )
        self.stdout.write(f"{mode}: {cells or 'no active cell'}")
