"""Raw counts for the statistics, one grouped query per subject, for any number of cells.

Only aggregates leave the database: counts per cell and category, sums of delays. No query here
reads an identity field (birth year only, never the encrypted birth date), and nothing reads the
exchange app's information from the préfet: it is never counted (docs/rules.md §6).
The number of queries does not depend on the number of cases or cells (docs/performance.md P2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, IntegerField, Q, Sum, Value
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


def collect(cell_ids: Iterable[int], period: Period, quarters: bool = False) -> dict[int, Counts]:
    """Counts per cell for the period: 6 queries whatever the data size.

    Each query returns values (no model instances), grouped by cell and, with `quarters`, by the
    quarter of its date: each count is then also split by quarter (`Counts.quarters`), in the same
    queries, since a completed year is suppressed together with its quarters. Building and compiling
    the querysets costs more Python than the rows (docs/performance.md, P7), so each query is a
    single filter, values and annotate, with conditional counts where a GROUP BY would multiply rows.
    """
    cell_ids = list(cell_ids)
    out: dict[int, Counts] = {cid: Counts() for cid in cell_ids}
    _referrals(out, cell_ids, period, quarters)
    _prequalification_exits(out, cell_ids, period, quarters)
    _decisions(out, cell_ids, period, quarters)
    _support_plans(out, cell_ids, period, quarters)
    _closures_and_ages(out, cell_ids, period, quarters)
    _meetings(out, cell_ids, period)
    return out


def _referrals(out: dict[int, Counts], cell_ids: list[int], period: Period, quarters: bool) -> None:
    """A row per cell and month with a conditional count per source: the month's count is the
    row's sum, so not a row per cell, month and source (a seventh of the rows at scale 1)."""
    rows = (
        Referral.objects.filter(
            cell_id__in=cell_ids, received_at__gte=period.start, received_at__lt=period.end
        )
        .values("cell_id", month=ExtractMonth("received_at"))
        .annotate(**{f"from_{code}": Count("pk", filter=Q(source=code)) for code in Source.values})
        .order_by()
    )
    for row in rows:
        counts, month = out[row["cell_id"]], int(row["month"])
        quarter = (month + 2) // 3 if quarters else None
        by_name: Mapping[str, Any] = row  # the per-source names are built, not literal
        in_month = 0
        for code in Source.values:
            if n := by_name[f"from_{code}"]:
                counts.add(("referrals_source", code), n, quarter)
                in_month += n
        counts.add(("referrals_month", month), in_month, quarter)


def _prequalification_exits(
    out: dict[int, Counts], cell_ids: list[int], period: Period, quarters: bool
) -> None:
    delay = ExpressionWrapper(F("at") - F("case__opened_at"), output_field=DurationField())
    rows = (
        Transition.objects.filter(
            case__cell_id__in=cell_ids,
            from_state=State.PREQUALIFICATION,
            at__gte=period.start,
            at__lt=period.end,
        )
        .values("to_state", cell_id=F("case__cell_id"), quarter=_quarter("at", quarters))
        .annotate(n=Count("pk"), delay=Sum(delay))
        .order_by()
    )
    for row in rows:
        counts = out[row["cell_id"]]
        counts.add(("prequalification", row["to_state"]), row["n"], row["quarter"])
        counts.activity.qualify_n += row["n"]
        counts.activity.qualify_days_sum += _days(row["delay"])


def _decisions(out: dict[int, Counts], cell_ids: list[int], period: Period, quarters: bool) -> None:
    # A decision counts once its relevé is validated: before that it is a draft (docs/rules.md §5).
    delay = ExpressionWrapper(F("recorded_at") - F("item__case__opened_at"), output_field=DurationField())
    rows = (
        Decision.objects.filter(
            item__meeting__minutes_validated_at__isnull=False,
            item__meeting__cell_id__in=cell_ids,
            item__meeting__starts_at__gte=period.start,
            item__meeting__starts_at__lt=period.end,
        )
        .values(
            "kind",
            cell_id=F("item__meeting__cell_id"),
            quarter=_quarter("item__meeting__starts_at", quarters),
        )
        .annotate(n=Count("pk"), delay=Sum(delay))
        .order_by()
    )
    for row in rows:
        counts = out[row["cell_id"]]
        counts.add(("decisions", row["kind"]), row["n"], row["quarter"])
        counts.activity.decide_n += row["n"]
        counts.activity.decide_days_sum += _days(row["delay"])


def _support_plans(out: dict[int, Counts], cell_ids: list[int], period: Period, quarters: bool) -> None:
    """Grouped by length (a few distinct values per cell), bracketed here rather than by a CASE."""
    length = ExpressionWrapper(F("ended_on") - F("started_on"), output_field=DurationField())
    rows = (
        SupportPlan.objects.filter(
            case__cell_id__in=cell_ids, ended_on__gte=period.start_date, ended_on__lt=period.end_date
        )
        .values(cell_id=F("case__cell_id"), length=length, quarter=_quarter("ended_on", quarters))
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        out[row["cell_id"]].add(
            ("support", _bracket(_days(row["length"]), DURATIONS)), row["n"], row["quarter"]
        )


def _closures_and_ages(out: dict[int, Counts], cell_ids: list[int], period: Period, quarters: bool) -> None:
    """Closures and ages at opening in one pass over the cases (conditional counts), grouped by
    age (opening year - birth year), bracketed here rather than by a CASE."""
    opened_in = Q(opened_at__gte=period.start, opened_at__lt=period.end)
    closed_in = Q(closed_at__gte=period.start, closed_at__lt=period.end)
    age = ExpressionWrapper(ExtractYear("opened_at") - F("person__birth_year"), output_field=IntegerField())
    rows = (
        Case.objects.filter(opened_in | closed_in, cell_id__in=cell_ids)
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
    for row in rows:
        counts = out[row["cell_id"]]
        if row["closed"]:
            reason = row["close_reason"] or CloseReason.OTHER
            counts.add(("closures", reason), row["closed"], row["closed_q"])
        if row["opened"]:
            group, brackets = ("minor", MINOR_AGES) if row["is_minor"] else ("adult", ADULT_AGES)
            counts.add(("ages", (group, _bracket(row["age"], brackets))), row["opened"], row["opened_q"])


def _meetings(out: dict[int, Counts], cell_ids: list[int], period: Period) -> None:
    """Meetings held and attendance in one query (attendees joined, meetings counted once)."""
    rows = (
        Meeting.objects.filter(
            cell_id__in=cell_ids, starts_at__gte=period.start, starts_at__lt=min(period.end, timezone.now())
        )
        .values("cell_id")
        .annotate(
            n=Count("pk", distinct=True),
            present=Count("attendees", filter=Q(attendees__attendance="present")),
            recorded=Count("attendees", filter=Q(attendees__attendance__in=Attendance.values)),
        )
        .order_by()
    )
    for row in rows:
        activity = out[row["cell_id"]].activity
        activity.meetings_held = row["n"]
        activity.attendance_present = row["present"]
        activity.attendance_recorded = row["recorded"]


CATEGORIES: dict[str, list[tuple[Any, Any]]] = {
    "referrals_month": [(i + 1, MONTHS[i]) for i in range(12)],
    "referrals_source": list(Source.choices),
    "prequalification": [(s.value, s.label) for s in PREQUALIFICATION_EXITS],
    "decisions": list(DecisionKind.choices),
    "support": [(code, label) for code, label, _limit in DURATIONS],
    "closures": list(CloseReason.choices),
}
