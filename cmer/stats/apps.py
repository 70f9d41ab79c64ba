from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "cmer.stats"
    label = "stats"
    verbose_name = _("Statistiques")

    def ready(self) -> None:
        from cmer.accounts.roles import STATS_READERS
        from cmer.core import navigation

        navigation.register("stats:index", _("Statistiques"), set(STATS_READERS), order=80)
