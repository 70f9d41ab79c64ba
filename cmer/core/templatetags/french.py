"""Template filters for French dates (cmer/core/french.py), loaded as builtins in settings.

{{ case.opened_at|date_fr }}            → 1er avril 2024
{{ meeting.starts_at|datetime_fr }}     → 1er avril 2024 à 14 h 05
{{ meeting.starts_at|date_fr:"long" }}  → lundi 1er avril 2024
{{ meeting.starts_at|time_fr }}         → 14 h, 9 h 05
"""

from __future__ import annotations

from datetime import datetime

from django import template

from cmer.core.french import DateLike, format_date, format_datetime, format_time

register = template.Library()


@register.filter
def date_fr(value: DateLike, style: str = "") -> str:
    return format_date(value, weekday=style == "long")


@register.filter
def datetime_fr(value: DateLike, style: str = "") -> str:
    return format_datetime(value, weekday=style == "long")


@register.filter
def time_fr(value: datetime | None) -> str:
    return format_time(value)
