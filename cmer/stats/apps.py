from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "cmer.stats"
    label = "stats"
    verbose_name = _("Statistiques")

    def ready(self) -> None:
        from cmer.core import navigation
        from cmer.stats.permissions import can_view_stats

        navigation.register(
            "stats:index", _("Statistiques"), visible=can_view_stats, order=80, section="data"
        )
