"""Dates as a coordinator writes them: « 28 mars 2010 », « 1er avril 2024 », « mardi 5 mai 2026 ».

One formatter for pages, PDFs and messages (docs/conventions.md, "Views and templates"): never ISO,
never an English month. Django's own `date:"j F Y"` misses the « 1er » of the first of the month.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS

DateLike = date | datetime | str | None


def _as_date(value: DateLike) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = (
                datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
            )
        except ValueError:
            return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def format_date(value: DateLike, *, weekday: bool = False) -> str:
    """« 1er avril 2024 »; with `weekday`, « lundi 1er avril 2024 ». Empty for no date."""
    day = _as_date(value)
    if day is None:
        return ""
    number = "1er" if day.day == 1 else str(day.day)
    text = f"{number} {MONTHS[day.month]} {day.year}"
    if weekday:
        text = f"{WEEKDAYS[day.weekday()]} {text}"
    return text


def format_time(value: datetime | None) -> str:
    """« 14 h », « 9 h 05 » in the local time zone, as a town hall writes an hour."""
    if value is None:
        return ""
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


def format_datetime(value: DateLike, *, weekday: bool = False) -> str:
    """« 1er avril 2024 à 14 h 05 » in the local time zone; a bare date gives the date alone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return ""
    if not isinstance(value, datetime):
        return format_date(value, weekday=weekday)
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{format_date(moment.date(), weekday=weekday)} à {moment.hour} h {moment.minute:02d}"
