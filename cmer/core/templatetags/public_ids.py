"""`{{ member.pk|public_id:"membership" }}`: a form value that names a cell object (ADR 0009)."""

from __future__ import annotations

from django import template

from cmer.core.public_ids import public_id as _public_id

register = template.Library()


@register.filter
def public_id(pk: int, kind: str) -> str:
    return _public_id(kind, int(pk))
