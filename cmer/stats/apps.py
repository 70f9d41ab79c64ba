from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "cmer.stats"
    label = "stats"
    verbose_name = _("Statistiques")

    def ready(self) -> None:
        from cmer.core import navigation
        from cmer.stats.permissions import STATS_ROLES

        navigation.register("stats:index", _("Statistiques"), set(STATS_ROLES), order=80)
