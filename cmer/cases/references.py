"""Pseudonymous references of cases and actions for the notification inbox, within what the reader may see."""

from __future__ import annotations

from typing import Any

from cmer.cases.models import Action, Case


def case_references(membership: Any, ids: list[int]) -> dict[int, str]:
    rows = Case.objects.visible_to(membership).filter(pk__in=ids).values_list("pk", "reference")
    return dict(rows)


def action_references(membership: Any, ids: list[int]) -> dict[int, str]:
    rows = Action.objects.visible_to(membership).filter(pk__in=ids).values_list("pk", "case__reference")
    return dict(rows)
