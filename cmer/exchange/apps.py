from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "cmer.exchange"
    label = "exchange"
    verbose_name = _("Échanges avec l'État")

    def ready(self) -> None:
        from cmer.accounts.roles import MANAGERS, TRANSMISSION_READERS
        from cmer.core import dashboard, navigation
        from cmer.exchange.widgets import exchange_widget

        # The same groups as the predicates of cmer/exchange/permissions.py (can_view_register,
        # can_view_prefect_information, can_manage_briefings).
        navigation.register("exchange:transmissions", _("Transmissions"), set(TRANSMISSION_READERS), order=60)
        navigation.register(
            "exchange:prefect_info_list", _("Informations du préfet"), set(TRANSMISSION_READERS), order=62
        )
        navigation.register("exchange:briefings", _("Points sur la menace"), set(MANAGERS), order=64)
        dashboard.register(exchange_widget, order=40)

        from cmer.cases import links
        from cmer.exchange.case_links import transmission_link

        links.register(transmission_link)
