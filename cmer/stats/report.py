"""From raw counts to published tables: suppression applied, hidden values dropped for good.

Everything the page, the charts, the CSV and the PDF show comes from `Publication`: a hidden
cell carries its label (« < 5 » or « s ») and no value, so no output can leak it by accident
(a bar length, a chart scale, a CSV column).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cmer.stats.aggregates import ADULT_AGES, CATEGORIES, MINOR_AGES, Activity, Counts, Period, quarter_period
from cmer.stats.suppression import Line, Mark, label, suppress

# (table key, title, key of its total). Tables sharing a total are suppressed together.
TABLES = [
    ("referrals_month", gettext_lazy("Signalements reçus par mois"), ("referrals", "total")),
    ("referrals_source", gettext_lazy("Signalements reçus par origine"), ("referrals", "total")),
    ("prequalification", gettext_lazy("Issues de la pré-qualification"), ("prequalification", "total")),
    ("decisions", gettext_lazy("Décisions du relevé de décisions"), ("decisions", "total")),
    ("support", gettext_lazy("Durée des accompagnements terminés"), ("support", "total")),
    ("closures", gettext_lazy("Clôtures par motif"), ("closures", "total")),
    ("ages", gettext_lazy("Situations ouvertes : mineurs, majeurs et âge à l'ouverture"), ("ages", "total")),
]
MIN_FOR_MEAN = 5  # a mean over fewer cases would describe one person's file

# Chart geometry (SVG user units), and the characters of a category's label left of its bar.
CHART_WIDTH, LABEL_WIDTH, BAR_MAX, ROW_HEIGHT, AXIS_HEIGHT = 640, 250, 300, 28, 30
LABEL_CHARS = 34


def _layout(table: str, period: Period) -> list[tuple[Any, Any, str]]:
    """Rows of a table: (key, label, kind) with kind part / subtotal / total."""
    total_key = dict((t, k) for t, _t, k in TABLES)[table]
    if table == "ages":
        rows: list[tuple[Any, Any, str]] = []
        for group, title, brackets in (
            ("minor", gettext_lazy("Mineurs à l'ouverture"), MINOR_AGES),
            ("adult", gettext_lazy("Majeurs à l'ouverture"), ADULT_AGES),
        ):
            rows.append((("ages", group), title, "subtotal"))
            rows += [(("ages", (group, code)), text, "part") for code, text, _l in brackets]
        return [*rows, (total_key, gettext_lazy("Total"), "total")]
    categories = CATEGORIES[table]
    if table == "referrals_month":
        categories = categories[period.first_month - 1 : period.first_month - 1 + period.months]
    return [((table, code), text, "part") for code, text in categories] + [
        (total_key, gettext_lazy("Total"), "total")
    ]


def values_and_lines(counts: Counts, period: Period) -> tuple[dict[Any, int], list[Line]]:
    """Every published cell with its true value, and the additive lines between them."""
    values: dict[Any, int] = {}
    lines: list[Line] = []
    for table, _title, total_key in TABLES:
        rows = _layout(table, period)
        for key, _label, kind in rows:
            if kind == "part":
                values[key] = counts.values.get(key, 0)
        if table == "ages":
            for group in ("minor", "adult"):
                parts = tuple(k for k, _l, kind in rows if kind == "part" and k[1][0] == group)
                values[("ages", group)] = sum(values[p] for p in parts)
                lines.append(Line(("ages", group), parts))
            values[total_key] = values[("ages", "minor")] + values[("ages", "adult")]
            lines.append(Line(total_key, (("ages", "minor"), ("ages", "adult"))))
        else:
            parts = tuple(k for k, _l, kind in rows if kind == "part")
            values[total_key] = sum(values[p] for p in parts)
            lines.append(Line(total_key, parts))
    # A month outside the period (current year) still counts in the shared total: never.
    return values, lines


@dataclass
class PubRow:
    label: Any
    text: str
    value: int | None  # None when hidden: the true value never leaves report.py
    kind: str
    hidden: bool


@dataclass
class Bar:
    label: Any
    text: str
    y: int
    width: int
    text_x: int
    hidden: bool
    # Computed here rather than by template filters (add, truncatechars) for each bar.
    short_label: str = ""
    text_y: int = 0
    marker_y: int = 0


@dataclass
class Tick:
    value: int
    x: int


@dataclass
class PubTable:
    key: str
    title: Any
    rows: list[PubRow]
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    axis_y: int = 0
    chart_height: int = 0
    has_hidden: bool = False

    @property
    def tick_end_y(self) -> int:
        return self.axis_y + 5

    @property
    def tick_text_y(self) -> int:
        return self.axis_y + 20


@dataclass
class Publication:
    scope: str
    scope_label: str
    period: Period
    tables: list[PubTable]
    activity: dict[str, str]

    @property
    def period_label(self) -> str:
        return period_label(self.period)


def nice_scale(top: int) -> tuple[int, int]:
    """An axis end and step of 1, 2 or 5 × 10^n covering `top`, with at most 5 steps."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if top <= 5 * step * factor:
                step *= factor
                return max(step, -(-top // step) * step), step
        step *= 10


def _ticks(top: int, step: int) -> list[Tick]:
    return [Tick(value=v, x=LABEL_WIDTH + round(BAR_MAX * v / top)) for v in range(0, top + 1, step)]


def _bars(rows: Sequence[PubRow]) -> tuple[list[Bar], int, list[Tick]]:
    parts = [r for r in rows if r.kind == "part"]
    # The scale comes from shown values only: a hidden value must not set the longest bar.
    top, step = nice_scale(max([r.value for r in parts if r.value is not None] or [0]) or 1)
    bars = []
    for i, row in enumerate(parts):
        width = 0 if row.value is None else round(BAR_MAX * row.value / top)
        y = i * ROW_HEIGHT + 6
        bars.append(
            Bar(
                label=row.label,
                text=row.text,
                y=y,
                width=width,
                text_x=LABEL_WIDTH + width + 8,
                hidden=row.hidden,
                short_label=Truncator(str(row.label)).chars(LABEL_CHARS),
                text_y=y + 15,
                marker_y=y + 4,
            )
        )
    return bars, len(parts) * ROW_HEIGHT + 12, _ticks(top, step)


def _tables(values: dict[Any, int], marks: dict[Any, Mark], period: Period) -> list[PubTable]:
    tables = []
    for table, title, _total in TABLES:
        rows = []
        for key, text, kind in _layout(table, period):
            mark = marks[key]
            shown = mark is Mark.SHOWN
            rows.append(
                PubRow(
                    label=text,
                    text=label(values[key], mark) if not shown else f"{values[key]}",
                    value=values[key] if shown else None,
                    kind=kind,
                    hidden=not shown,
                )
            )
        bars, height, ticks = _bars(rows)
        tables.append(
            PubTable(
                key=table,
                title=title,
                rows=rows,
                bars=bars,
                ticks=ticks,
                axis_y=height,
                chart_height=height + AXIS_HEIGHT,
                has_hidden=any(r.hidden for r in rows),
            )
        )
    return tables


def _activity(activity: Activity) -> dict[str, str]:
    not_published = _("non diffusé (moins de %(n)s situations)") % {"n": MIN_FOR_MEAN}
    rate = (
        f"{round(100 * activity.attendance_present / activity.attendance_recorded)} %"
        if activity.attendance_recorded
        else _("non renseigné")
    )
    qualify = (
        _("%(d)s jours") % {"d": round(activity.qualify_days_sum / activity.qualify_n)}
        if activity.qualify_n >= MIN_FOR_MEAN
        else not_published
    )
    decide = (
        _("%(d)s jours") % {"d": round(activity.decide_days_sum / activity.decide_n)}
        if activity.decide_n >= MIN_FOR_MEAN
        else not_published
    )
    return {
        "meetings_held": str(activity.meetings_held),
        "attendance_rate": rate,
        "qualify_delay": qualify,
        "decide_delay": decide,
    }


def _qkey(quarter: int, key: Any) -> tuple[str, Any]:
    return (f"q{quarter}", key)


def year_marks(
    values: dict[Any, int], lines: list[Line], period: Period, quarters: Sequence[Counts]
) -> dict[Any, Mark]:
    """Marks of a completed year, consistent with its quarters published while it ran."""
    tables = [
        values_and_lines(q_counts, quarter_period(period.year, q)) for q, q_counts in enumerate(quarters, 1)
    ]
    return marks_after_quarters(values, lines, tables)


def marks_after_quarters(
    values: dict[Any, int], lines: list[Line], quarters: Sequence[tuple[dict[Any, int], list[Line]]]
) -> dict[Any, Mark]:
    """Pure core of year_marks: the year's (values, lines) and its four quarters' (values, lines).

    Quarters 1 to 3 were published, each suppressed on its own: their marks are frozen. The 4th
    never was: its cells are unknown to a reader but still protected. The year's cells are tied to
    them (year = sum of its quarters), and only the year's cells are masked, so no subtraction of
    the provisional quarters from the year pins a small count (docs/rules.md §10).
    """
    all_values = dict(values)
    all_lines = list(lines)
    frozen: dict[Any, Mark] = {}
    quarter_keys: list[set[Any]] = []
    for q, (q_values, q_lines) in enumerate(quarters, start=1):
        q_marks = suppress(q_values, q_lines) if q < 4 else dict.fromkeys(q_values, Mark.MASKED)
        all_values |= {_qkey(q, k): v for k, v in q_values.items()}
        all_lines += [Line(_qkey(q, ln.total), tuple(_qkey(q, p) for p in ln.parts)) for ln in q_lines]
        frozen |= {_qkey(q, k): m for k, m in q_marks.items()}
        quarter_keys.append(set(q_values))
    for key in values:
        parts = tuple(_qkey(q, key) for q, keys in enumerate(quarter_keys, start=1) if key in keys)
        all_lines.append(Line(key, parts))
    marks = suppress(all_values, all_lines, frozen)
    return {k: marks[k] for k in values}


def publish_cell(
    counts: Counts, period: Period, scope_label: str, quarters: Sequence[Counts] = ()
) -> tuple[Publication, dict, dict]:
    """One cell's publication; a completed year is given its four quarters (see year_marks)."""
    values, lines = values_and_lines(counts, period)
    marks = year_marks(values, lines, period, quarters) if quarters else suppress(values, lines)
    publication = Publication(
        scope="cell",
        scope_label=scope_label,
        period=period,
        tables=_tables(values, marks, period),
        activity=_activity(counts.activity),
    )
    return publication, values, marks


def consolidate(
    per_cell: Sequence[tuple[dict[Any, int], dict[Any, Mark]]],
) -> tuple[dict[Any, int], dict[Any, Mark]]:
    """Sums over several cells, built only from what each cell publishes: a sum is shown when
    every term is shown, otherwise masked. So the consolidated view teaches nothing that the
    per-cell pages (each safe) do not, and no difference between the two can expose a cell."""
    values: dict[Any, int] = {}
    marks: dict[Any, Mark] = {}
    for cell_values, cell_marks in per_cell:
        for key, value in cell_values.items():
            values[key] = values.get(key, 0) + value
            both_shown = cell_marks[key] is Mark.SHOWN and marks.get(key, Mark.SHOWN) is Mark.SHOWN
            marks[key] = Mark.SHOWN if both_shown else Mark.MASKED
    return values, marks


def publish_consolidated(
    per_cell: Sequence[tuple[dict[Any, int], dict[Any, Mark], Activity]], period: Period, scope_label: str
) -> Publication:
    values, marks = consolidate([(v, m) for v, m, _a in per_cell])
    activity = Activity()
    for _v, _m, cell_activity in per_cell:
        for name in vars(activity):
            setattr(activity, name, getattr(activity, name) + getattr(cell_activity, name))
    return Publication(
        scope="all",
        scope_label=scope_label,
        period=period,
        tables=_tables(values, marks, period),
        activity=_activity(activity),
    )


def build(
    counts_by_cell: dict[int, Counts],
    cells: Sequence[Any],
    period: Period,
    scope: str,
    quarters_by_cell: dict[int, list[Counts]] | None = None,
) -> Publication:
    """The publication for one cell (scope 'cell', first of `cells`) or all of them ('all').

    For a completed year, `quarters_by_cell` holds each cell's four quarters (see year_marks).
    """
    quarters = quarters_by_cell or {}
    if scope == "cell":
        cell = cells[0]
        return publish_cell(counts_by_cell[cell.pk], period, cell.name, quarters.get(cell.pk, ()))[0]
    per_cell = []
    for cell in cells:
        _pub, values, marks = publish_cell(
            counts_by_cell[cell.pk], period, cell.name, quarters.get(cell.pk, ())
        )
        per_cell.append((values, marks, counts_by_cell[cell.pk].activity))
    label_all = _("Ensemble de mes cellules (%(n)s)") % {"n": len(cells)}
    return publish_consolidated(per_cell, period, label_all)


CSV_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (OWASP CSV injection): a leading quote makes it text."""
    return "'" + text if text.startswith(CSV_DANGEROUS) else text


def period_label(period: Period) -> str:
    if not period.quarter:
        return str(period.year)
    if period.quarter == 1:
        return _("1er trimestre %(y)s (provisoire)") % {"y": period.year}
    return _("%(q)se trimestre %(y)s (provisoire)") % {"q": period.quarter, "y": period.year}


def csv_rows(publications: Sequence[Publication]) -> list[list[str]]:
    rows = [[_("périmètre"), _("période"), _("tableau"), _("ligne"), _("valeur")]]
    for publication in publications:
        for table in publication.tables:
            for row in table.rows:
                rows.append(
                    [
                        publication.scope_label,
                        period_label(publication.period),
                        str(table.title),
                        str(row.label),
                        row.text,
                    ]
                )
    return [[csv_safe(cell) for cell in row] for row in rows]
