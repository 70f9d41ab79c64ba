"""Deployment checks of our own (`manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def data_keys_are_explicit(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """The data keys derived from the secret key (development, tests) are not fit for production.

    With DEBUG off the settings already refuse to load without them; this catches a deployment
    check run with DEBUG on, before the switch.
    """
    return [
        Error(
            f"{name} is not set: it is derived from CMER_SECRET_KEY.",
            hint="Set a long random value of its own (see .env.example); rotating the secret key "
            "would otherwise make encrypted fields unreadable and the audit chain unverifiable.",
            id="cmer.E001",
        )
        for name in settings.CMER_DERIVED_KEYS
    ]


@register(Tags.security, deploy=True)
def bench_pages_are_off(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """CMER_BENCH mounts the benchmark's pages (docs/performance.md): never on a real installation."""
    if not getattr(settings, "CMER_BENCH", False):
        return []
    return [
        Error(
            "CMER_BENCH is on: the benchmark's pages are mounted.",
            hint="Unset CMER_BENCH; it is for bench/run.py against generated data only.",
            id="cmer.E010",
        )
    ]
