from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "case.archive": _("Archivage d'une situation"),
    "case.archive_access": _("Accès à une situation archivée"),
    "case.attach": _("Rattachement d'un signalement à une situation"),
    "case.close": _("Clôture d'une situation"),
    "case.information_letter": _("Courrier d'information de la personne"),
    "case.list": _("Consultation de la liste des situations"),
    "case.open": _("Ouverture d'une situation"),
    "case.qualify": _("Qualification d'un signalement"),
    "case.queue": _("Consultation des signalements à qualifier"),
    "case.read": _("Lecture d'une situation"),
    "case.read_archive": _("Lecture d'une situation archivée"),
    "case.to_review": _("Mise à l'examen d'une situation"),
    "case.transition": _("Changement d'état d'une situation"),
    "person.information": _("Décision d'information de la personne"),
    "person.search": _("Recherche de personne"),
    "retention.schedule": _("Planification de la suppression d'une situation"),
}


class CasesConfig(AppConfig):
    name = "cmer.cases"
    label = "cases"
    verbose_name = _("Situations")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
        from cmer.cases import widgets
        from cmer.cases.permissions import can_list_cases, can_qualify, is_alerted_of_urgency
        from cmer.cases.references import action_references, case_references
        from cmer.core import dashboard, navigation
        from cmer.notifications.kinds import register_references

        navigation.register(
            "cases:queue", _("À qualifier"), visible=can_qualify, order=20, section="referrals"
        )
        navigation.register("cases:list", _("Situations"), visible=can_list_cases, order=21, section="cases")
        # Danger imminent comes before everything else on the dashboard (docs/rules.md §3.1).
        dashboard.register(widgets.urgent_widget, visible=is_alerted_of_urgency, order=1)
        dashboard.register(widgets.qualification_widget, visible=can_qualify, order=10)
        # The inbox names a case or an action by its case's reference, to those who may read it.
        register_references("cases.case", case_references)
        register_references("cases.action", action_references)
