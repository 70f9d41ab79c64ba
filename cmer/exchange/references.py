"""Pseudonymous references of transmissions for the notification inbox, within what the reader may see."""

from __future__ import annotations

from typing import Any

from cmer.exchange.models import Transmission


def transmission_references(membership: Any, ids: list[int]) -> dict[int, str]:
    rows = Transmission.objects.visible_to(membership).filter(pk__in=ids).values_list("pk", "reference")
    return dict(rows)
