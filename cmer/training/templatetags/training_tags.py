"""{% gate_refusal %}: the certification-gate explanation, for the intake page."""

from __future__ import annotations

from typing import Any

from django import template

from cmer.training.gate import refusal_context

register = template.Library()


@register.inclusion_tag("training/_gate_refusal.html", takes_context=True)
def gate_refusal(context: Any) -> dict[str, Any]:
    membership = context.get("current_membership") or getattr(context.get("request"), "membership", None)
    return {"gate": refusal_context(membership)}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key] or None, for dictionaries built by the views (e.g. the draft's changes)."""
    return mapping.get(key) if hasattr(mapping, "get") else None
