"""« 28 mars 2010 », « 1er avril 2024 »: the long French date, whatever the active locale."""

from __future__ import annotations

import datetime as dt

from django import template

from cmer.core.french import format_date

register = template.Library()


def long_date(value: dt.date | dt.datetime | str | None) -> str:
    """The one French date formatter (cmer/core/french.py), under the name these templates use."""
    return format_date(value)


register.filter("long_date", long_date)
