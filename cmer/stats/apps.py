from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "cmer.stats"
    label = "stats"
