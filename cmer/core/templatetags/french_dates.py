"""« 28 mars 2010 », « 1er avril 2024 »: the long French date, whatever the active locale."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def long_date(value: dt.date | dt.datetime | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)  # an encrypted birth date is stored as ISO text
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


register.filter("long_date", long_date)
