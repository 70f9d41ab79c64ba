from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "briefing.log": _("Compte rendu d'un point avec l'État"),
    "briefing.manage": _("Gestion des points avec l'État"),
    "briefing.schedule": _("Planification d'un point avec l'État"),
    "prefect_info.list": _("Consultation des informations du préfet"),
    "prefect_info.read": _("Lecture d'une information du préfet"),
    "prefect_info.record": _("Information du préfet"),
    "transmission.acknowledge": _("Accusé de réception d'une transmission"),
    "transmission.approve": _("Approbation d'une transmission"),
    "transmission.feedback": _("Retour de l'État sur une transmission"),
    "transmission.feedback_overdue": _("Retour de l'État en retard"),
    "transmission.feedback_pending": _("Retour de l'État attendu"),
    "transmission.prepare": _("Préparation d'une transmission"),
    "transmission.read": _("Lecture d'une transmission"),
    "transmission.register": _("Registre des transmissions"),
    "transmission.register_read": _("Lecture du registre des transmissions"),
}


class ExchangeConfig(AppConfig):
    name = "cmer.exchange"
    label = "exchange"
    verbose_name = _("Échanges avec l'État")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
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
