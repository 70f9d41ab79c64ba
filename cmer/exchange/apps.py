from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "cmer.exchange"
    label = "exchange"
    verbose_name = _("Échanges avec l'État")

    def ready(self) -> None:
        from cmer.accounts.roles import Role
        from cmer.core import dashboard, navigation
        from cmer.exchange.widgets import exchange_widget

        p, c, s = Role.PRESIDENT, Role.COORDINATOR, Role.STATE_MEMBER
        navigation.register("exchange:transmissions", _("Transmissions"), {p, c, s}, order=60)
        navigation.register("exchange:prefect_info_list", _("Informations du préfet"), {p, c, s}, order=62)
        navigation.register("exchange:briefings", _("Points sur la menace"), {p, c}, order=64)
        navigation.register("exchange:inbox", _("Notifications"), set(Role.values), order=95)
        dashboard.register(exchange_widget, order=40)

        from cmer.cases import links
        from cmer.exchange.case_links import transmission_link

        links.register(transmission_link)
