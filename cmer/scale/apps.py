from django.apps import AppConfig


class ScaleConfig(AppConfig):
    """Generated data at the scales of docs/performance.md, and the bench-only switches."""

    name = "cmer.scale"
    label = "scale"
