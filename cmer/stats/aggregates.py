"""Raw counts for the statistics, one grouped query per subject, for any number of cells.

Only aggregates leave the database: counts per cell and category, sums of delays. No query here
reads an identity field (birth year only, never the encrypted birth date), and nothing reads the
exchange app's information from the préfet: it is never counted (docs/rules.md §6).
The number of queries does not depend on the number of cases or cells (docs/performance.md P2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connections, router
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import ExtractMonth, ExtractQuarter, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.cases.models import Case, SupportPlan, Transition
from cmer.cases.states import CloseReason, State
from cmer.meetings.models import Attendance, Decision, DecisionKind, Meeting
from cmer.referrals.models import Referral, Source

MONTHS = [
    _("janvier"),
    _("février"),
    _("mars"),
    _("avril"),
    _("mai"),
    _("juin"),
    _("juillet"),
    _("août"),
    _("septembre"),
    _("octobre"),
    _("novembre"),
    _("décembre"),
]
PREQUALIFICATION_EXITS = [State.DISMISSED, State.COMMON_LAW, State.URGENT_TRANSMITTED, State.TO_REVIEW]
# Support durations, in days from the start of the plan to its end.
DURATIONS = [
    ("lt3", _("moins de 3 mois"), 91),
    ("3to6", _("de 3 à 6 mois"), 183),
    ("6to12", _("de 6 à 12 mois"), 366),
    ("ge12", _("12 mois et plus"), None),
]
# Age at opening = year of opening - birth year; minor or adult is the case's own flag.
MINOR_AGES = [
    ("lt13", _("moins de 13 ans"), 13),
    ("13to15", _("13 à 15 ans"), 16),
    ("ge16", _("16 ans et plus"), None),
]
ADULT_AGES = [
    ("lt22", _("moins de 22 ans"), 22),
    ("22to25", _("22 à 25 ans"), 26),
    ("ge26", _("26 ans et plus"), None),
]


@dataclass(frozen=True)
class Period:
    """A calendar year; the current year stops at the last complete month, so figures only move
    once a month (a daily refresh would reveal each new signalement)."""

    year: int
    start: datetime
    end: datetime  # exclusive
    months: int  # number of complete months covered
    first_month: int = 1
    quarter: int = 0  # 1 to 4 for a provisional quarter of the running year, 0 for a year

    @property
    def start_date(self) -> date:
        return timezone.localtime(self.start).date()

    @property
    def end_date(self) -> date:
        return timezone.localtime(self.end).date()


def period_for(year: int, today: date | None = None) -> Period:
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz)
    months = 12
    if year == today.year:
        end = datetime(year, today.month, 1, tzinfo=tz)
        months = today.month - 1
    return Period(year=year, start=start, end=end, months=months)


def quarter_period(year: int, quarter: int) -> Period:
    tz = timezone.get_current_timezone()
    first = 3 * quarter - 2
    start = datetime(year, first, 1, tzinfo=tz)
    end = datetime(year + 1, 1, 1, tzinfo=tz) if quarter == 4 else datetime(year, first + 3, 1, tzinfo=tz)
    return Period(year=year, start=start, end=end, months=3, first_month=first, quarter=quarter)


def completed_quarters(year: int, today: date | None = None) -> list[Period]:
    """The running year is published by completed quarter only (docs/rules.md §10)."""
    today = today or timezone.localdate()
    done = 4 if year < today.year else (today.month - 1) // 3 if year == today.year else 0
    return [quarter_period(year, q) for q in range(1, done + 1)]


@dataclass
class Activity:
    """The cell's working figures for the annual report; no person is counted here but cases."""

    meetings_held: int = 0
    attendance_present: int = 0
    attendance_recorded: int = 0
    qualify_days_sum: float = 0.0
    qualify_n: int = 0
    decide_days_sum: float = 0.0
    decide_n: int = 0


@dataclass
class Counts:
    """Counts for one cell: values[(table, category)] = n; totals are derived, not queried."""

    values: dict[tuple[str, Any], int] = field(default_factory=lambda: defaultdict(int))
    activity: Activity = field(default_factory=Activity)
    # Only with collect(..., quarters=True) over a year: the same counts split by quarter (1-4).
    quarters: dict[int, Counts] = field(default_factory=dict)

    def add(self, key: tuple[str, Any], n: int, quarter: int | None = None) -> None:
        self.values[key] += n
        if quarter:
            self.quarters.setdefault(quarter, Counts()).values[key] += n


def _days(value: Any) -> float:
    """A summed duration in days; SQLite may hand back microseconds as a number."""
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    return float(value) / 1_000_000 / 86400


def _quarter(expr: str, wanted: bool) -> Any:
    """The quarter of a date field, or a constant 0 (no split) so the grouping stays the same."""
    return ExtractQuarter(expr) if wanted else Value(0)


def _bracket(value: float | None, brackets: list[tuple[str, Any, int | None]]) -> str:
    """The code of the first bracket whose upper limit (exclusive) is above `value`; an unknown
    value falls in the last one, as SQL's CASE did (a comparison with NULL is never true)."""
    for code, _label, limit in brackets:
        if limit is not None and value is not None and value < limit:
            return code
    return brackets[-1][0]


@dataclass(frozen=True)
class _Bounds:
    """The values a statement's parameters are made of; its SQL depends only on how many cells."""

    cells: tuple[int, ...]
    start: datetime
    end: datetime
    start_date: date
    end_date: date
    meetings_end: datetime

    def slots(self, ops: Any) -> list[Any]:
        """The values as the backend binds them (the fields' own adaptation), in a fixed order."""
        return [
            ops.adapt_datetimefield_value(self.start),
            ops.adapt_datetimefield_value(self.end),
            ops.adapt_datefield_value(self.start_date),
            ops.adapt_datefield_value(self.end_date),
            ops.adapt_datetimefield_value(self.meetings_end),
            *self.cells,
        ]


def _sentinels(cells: int, variant: int) -> _Bounds:
    """Bounds no real period or cell has, so each can be found among a compiled statement's params."""
    t = datetime(1901 + 10 * variant, 1, 1, tzinfo=UTC)
    return _Bounds(
        cells=tuple(-1_000_001 - 100_000 * variant - i for i in range(cells)),
        start=t,
        end=t + timedelta(days=1),
        start_date=date(1902 + 10 * variant, 1, 1),
        end_date=date(1902 + 10 * variant, 1, 2),
        meetings_end=t + timedelta(days=2),
    )


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: list[tuple[int | None, Any]]  # (index in _Bounds.slots(), or None for a constant)
    columns: dict[str, int]  # values() name -> position in a row


Build = Callable[[_Bounds, bool], QuerySet[Any]]
# (query, database alias, time zone, number of cells, quarter split) -> the ORM's compiled statement
_STATEMENTS: dict[tuple[Build, str, str, int, bool], _Statement] = {}


def _compile(build: Build, alias: str, cells: int, quarters: bool) -> _Statement:
    """The ORM's SQL for the query's shape, compiled with sentinel bounds: each parameter is one of
    the bounds (found by its sentinel value) or a constant of the query. Compiled twice, with two
    sets of sentinels, to refuse a parameter that is neither (the clock read inside a query would
    be frozen into every later call)."""
    ops = connections[alias].ops
    compiled = []
    for variant in (0, 1):
        sentinels = _sentinels(cells, variant)
        slots = {value: i for i, value in enumerate(sentinels.slots(ops))}
        query = build(sentinels, quarters).query
        sql, params = query.get_compiler(using=alias).as_sql()
        compiled.append((sql, [(slots.get(value), value) for value in params]))
    (sql, params), (other_sql, other_params) = compiled

    def constants(params: list[tuple[int | None, Any]]) -> list[Any]:
        return [value if slot is None else ("slot", slot) for slot, value in params]

    if sql != other_sql or constants(params) != constants(other_params):
        raise ValueError(f"{build.__name__}: a parameter is neither one of the bounds nor a constant")
    # The names in the order values() reads them (django.db.models.query.ValuesIterable).
    names = list(query.selected or ()) or [
        *query.extra_select,
        *query.values_select,
        *query.annotation_select,
    ]
    return _Statement(sql, params, {name: i for i, name in enumerate(names)})


def _rows(
    model: type[Model], build: Build, bounds: _Bounds, quarters: bool
) -> tuple[list[Any], dict[str, int]]:
    """Run the query's statement with these bounds, on the database the router picks for the
    model (the replica, when the caller allows it): its rows as tuples, and their columns."""
    alias = router.db_for_read(model)
    key = (build, alias, timezone.get_current_timezone_name(), len(bounds.cells), quarters)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = _compile(build, alias, len(bounds.cells), quarters)
    connection = connections[alias]
    slots = bounds.slots(connection.ops)
    params = [value if slot is None else slots[slot] for slot, value in statement.params]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        return cursor.fetchall(), statement.columns


def _int(value: Any) -> int:
    """A quarter from a raw row, as the ORM converts it: PostgreSQL's EXTRACT gives a numeric, and
    a query without the split (Value(0)) or a missing date (NULL) give no quarter, 0."""
    return int(value or 0)


def collect(cell_ids: Iterable[int], period: Period, quarters: bool = False) -> dict[int, Counts]:
    """Counts per cell for the period: 6 queries whatever the data size.

    Each query returns values (no model instances), grouped by cell and, with `quarters`, by the
    quarter of its date: each count is then also split by quarter (`Counts.quarters`), in the same
    queries, since a completed year is suppressed together with its quarters. Building and compiling
    a queryset costs more Python than its rows (docs/performance.md, P7), and its SQL depends only on
    the number of cells and the quarter split: each statement is compiled by the ORM once per shape
    and database (`_rows`), then run with this period's and these cells' parameters.
    """
    cell_ids = list(dict.fromkeys(cell_ids))  # the ORM's IN drops duplicates: one shape per count
    out: dict[int, Counts] = {cid: Counts() for cid in cell_ids}
    if not cell_ids:
        return out  # as the ORM: an empty IN runs no query
    bounds = _Bounds(
        cells=tuple(cell_ids),
        start=period.start,
        end=period.end,
        start_date=period.start_date,
        end_date=period.end_date,
        meetings_end=min(period.end, timezone.now()),
    )
    _referrals(out, *_rows(Referral, _referrals_query, bounds, quarters), quarters)
    _prequalification_exits(out, *_rows(Transition, _prequalification_query, bounds, quarters))
    _decisions(out, *_rows(Decision, _decisions_query, bounds, quarters))
    _support_plans(out, *_rows(SupportPlan, _support_plans_query, bounds, quarters))
    _closures_and_ages(out, *_rows(Case, _cases_query, bounds, quarters))
    _meetings(out, *_rows(Meeting, _meetings_query, bounds, False))
    return out


def _referrals_query(b: _Bounds, quarters: bool) -> QuerySet[Any]:
    """A row per cell and month with a conditional count per source: the month's count is the
    row's sum, so not a row per cell, month and source (a seventh of the rows at scale 1)."""
    return (
        Referral.objects.filter(cell_id__in=b.cells, received_at__gte=b.start, received_at__lt=b.end)
        .values("cell_id", month=ExtractMonth("received_at"))
        .annotate(**{f"from_{code}": Count("pk", filter=Q(source=code)) for code in Source.values})
        .order_by()
    )


def _referrals(out: dict[int, Counts], rows: list[Any], col: dict[str, int], quarters: bool) -> None:
    cell, month_ = col["cell_id"], col["month"]
    sources = [(code, col[f"from_{code}"]) for code in Source.values]
    for row in rows:
        counts, month = out[row[cell]], int(row[month_])
        quarter = (month + 2) // 3 if quarters else None
        in_month = 0
        for code, i in sources:
            if n := row[i]:
                counts.add(("referrals_source", code), n, quarter)
                in_month += n
        counts.add(("referrals_month", month), in_month, quarter)


def _prequalification_query(b: _Bounds, quarters: bool) -> QuerySet[Any]:
    delay = ExpressionWrapper(F("at") - F("case__opened_at"), output_field=DurationField())
    return (
        Transition.objects.filter(
            case__cell_id__in=b.cells, from_state=State.PREQUALIFICATION, at__gte=b.start, at__lt=b.end
        )
        .values("to_state", cell_id=F("case__cell_id"), quarter=_quarter("at", quarters))
        .annotate(n=Count("pk"), delay=Sum(delay))
        .order_by()
    )


def _prequalification_exits(out: dict[int, Counts], rows: list[Any], col: dict[str, int]) -> None:
    cell, state, quarter, n_, delay = (col[k] for k in ("cell_id", "to_state", "quarter", "n", "delay"))
    for row in rows:
        counts, n = out[row[cell]], row[n_]
        counts.add(("prequalification", row[state]), n, _int(row[quarter]))
        counts.activity.qualify_n += n
        counts.activity.qualify_days_sum += _days(row[delay])


def _decisions_query(b: _Bounds, quarters: bool) -> QuerySet[Any]:
    # A decision counts once its relevé is validated: before that it is a draft (docs/rules.md §5).
    delay = ExpressionWrapper(F("recorded_at") - F("item__case__opened_at"), output_field=DurationField())
    return (
        Decision.objects.filter(
            item__meeting__minutes_validated_at__isnull=False,
            item__meeting__cell_id__in=b.cells,
            item__meeting__starts_at__gte=b.start,
            item__meeting__starts_at__lt=b.end,
        )
        .values(
            "kind",
            cell_id=F("item__meeting__cell_id"),
            quarter=_quarter("item__meeting__starts_at", quarters),
        )
        .annotate(n=Count("pk"), delay=Sum(delay))
        .order_by()
    )


def _decisions(out: dict[int, Counts], rows: list[Any], col: dict[str, int]) -> None:
    cell, kind, quarter, n_, delay = (col[k] for k in ("cell_id", "kind", "quarter", "n", "delay"))
    for row in rows:
        counts, n = out[row[cell]], row[n_]
        counts.add(("decisions", row[kind]), n, _int(row[quarter]))
        counts.activity.decide_n += n
        counts.activity.decide_days_sum += _days(row[delay])


def _support_plans_query(b: _Bounds, quarters: bool) -> QuerySet[Any]:
    """Grouped by length (a few distinct values per cell), bracketed here rather than by a CASE."""
    length = ExpressionWrapper(F("ended_on") - F("started_on"), output_field=DurationField())
    return (
        SupportPlan.objects.filter(
            case__cell_id__in=b.cells, ended_on__gte=b.start_date, ended_on__lt=b.end_date
        )
        .values(cell_id=F("case__cell_id"), length=length, quarter=_quarter("ended_on", quarters))
        .annotate(n=Count("pk"))
        .order_by()
    )


def _support_plans(out: dict[int, Counts], rows: list[Any], col: dict[str, int]) -> None:
    cell, length, quarter, n = (col[k] for k in ("cell_id", "length", "quarter", "n"))
    for row in rows:
        out[row[cell]].add(("support", _bracket(_days(row[length]), DURATIONS)), row[n], _int(row[quarter]))


def _cases_query(b: _Bounds, quarters: bool) -> QuerySet[Any]:
    """Closures and ages at opening in one pass over the cases (conditional counts), grouped by
    age (opening year - birth year), bracketed here rather than by a CASE."""
    opened_in = Q(opened_at__gte=b.start, opened_at__lt=b.end)
    closed_in = Q(closed_at__gte=b.start, closed_at__lt=b.end)
    age = ExpressionWrapper(ExtractYear("opened_at") - F("person__birth_year"), output_field=IntegerField())
    return (
        Case.objects.filter(opened_in | closed_in, cell_id__in=b.cells)
        .values(
            "cell_id",
            "is_minor",
            "close_reason",
            age=age,
            opened_q=_quarter("opened_at", quarters),
            closed_q=_quarter("closed_at", quarters),
        )
        .annotate(opened=Count("pk", filter=opened_in), closed=Count("pk", filter=closed_in))
        .order_by()
    )


def _closures_and_ages(out: dict[int, Counts], rows: list[Any], col: dict[str, int]) -> None:
    cell, minor, reason_, age, opened_q, closed_q, opened_, closed_ = (
        col[k]
        for k in ("cell_id", "is_minor", "close_reason", "age", "opened_q", "closed_q", "opened", "closed")
    )
    for row in rows:
        counts = out[row[cell]]
        if closed := row[closed_]:
            reason = row[reason_] or CloseReason.OTHER
            counts.add(("closures", reason), closed, _int(row[closed_q]))
        if opened := row[opened_]:
            group, brackets = ("minor", MINOR_AGES) if row[minor] else ("adult", ADULT_AGES)
            counts.add(("ages", (group, _bracket(row[age], brackets))), opened, _int(row[opened_q]))


def _meetings_query(b: _Bounds, quarters: bool) -> QuerySet[Any]:
    """Meetings held and attendance in one query (attendees joined, meetings counted once)."""
    return (
        Meeting.objects.filter(cell_id__in=b.cells, starts_at__gte=b.start, starts_at__lt=b.meetings_end)
        .values("cell_id")
        .annotate(
            n=Count("pk", distinct=True),
            present=Count("attendees", filter=Q(attendees__attendance="present")),
            recorded=Count("attendees", filter=Q(attendees__attendance__in=Attendance.values)),
        )
        .order_by()
    )


def _meetings(out: dict[int, Counts], rows: list[Any], col: dict[str, int]) -> None:
    cell, n, present, recorded = (col[k] for k in ("cell_id", "n", "present", "recorded"))
    for row in rows:
        activity = out[row[cell]].activity
        activity.meetings_held = row[n]
        activity.attendance_present = row[present]
        activity.attendance_recorded = row[recorded]


CATEGORIES: dict[str, list[tuple[Any, Any]]] = {
    "referrals_month": [(i + 1, MONTHS[i]) for i in range(12)],
    "referrals_source": list(Source.choices),
    "prequalification": [(s.value, s.label) for s in PREQUALIFICATION_EXITS],
    "decisions": list(DecisionKind.choices),
    "support": [(code, label) for code, label, _limit in DURATIONS],
    "closures": list(CloseReason.choices),
}
