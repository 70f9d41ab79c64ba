from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "cmer.exchange"
    label = "exchange"
    verbose_name = _("Échanges avec l'État")

    def ready(self) -> None:
        from cmer.cases import links, sections
        from cmer.core import dashboard, navigation
        from cmer.exchange.case_links import transmission_link
        from cmer.exchange.case_sections import exchange_section
        from cmer.exchange.permissions import (
            can_list_pending_feedback,
            can_manage_briefings,
            can_view_prefect_information,
            can_view_register,
        )
        from cmer.exchange.references import transmission_references
        from cmer.exchange.widgets import exchange_widget
        from cmer.notifications.kinds import register_references

        navigation.register(
            "exchange:transmissions", _("Transmissions"), visible=can_view_register, order=60, section="state"
        )
        navigation.register(
            "exchange:feedback_pending",
            _("Retours attendus"),
            visible=can_list_pending_feedback,
            order=61,
            section="state",
        )
        navigation.register(
            "exchange:prefect_info_list",
            _("Informations du préfet"),
            visible=can_view_prefect_information,
            order=62,
            section="state",
        )
        navigation.register(
            "exchange:briefings",
            _("Points sur la menace"),
            visible=can_manage_briefings,
            order=64,
            section="state",
        )
        dashboard.register(exchange_widget, visible=can_view_register, order=40)
        # The case page offers "prepare a transmission" without cases importing exchange.
        links.register(transmission_link)
        register_references("exchange.transmission", transmission_references)
        sections.register(exchange_section)
