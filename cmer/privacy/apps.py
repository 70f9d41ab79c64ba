from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "dpo.accounts": _("Console DPO : comptes et rôles"),
    "dpo.accounts_read": _("Console DPO : lecture des comptes et rôles"),
    "dpo.archive_reasons": _("Console DPO : motifs d'archivage"),
    "dpo.audit_search": _("Console DPO : recherche dans le journal"),
    "dpo.charters": _("Console DPO : acceptations de la charte"),
    "dpo.charters_read": _("Console DPO : lecture des acceptations de la charte"),
    "dpo.console": _("Console DPO : accueil"),
    "dpo.dpia": _("Console DPO : analyse d'impact"),
    "dpo.information_due": _("Console DPO : informations dues"),
    "dpo.purge_reports": _("Console DPO : rapports de purge"),
    "dpo.register": _("Console DPO : registre des traitements"),
    "person.rectify": _("Rectification des données d'une personne"),
    "privacy.keys_rotate": _("Rotation des clés de chiffrement"),
    "privacy.keys_rotate_batch": _("Rotation des clés de chiffrement (lot)"),
    "purge.case_archived": _("Archivage d'une situation par la purge"),
    "purge.case_destroyed": _("Suppression d'une situation par la purge"),
    "purge.request": _("Demande de purge"),
    "purge.run": _("Purge des données échues"),
    "purge.start": _("Lancement d'une purge"),
    "retention.policy_update": _("Modification de la politique de conservation"),
    "retention.policy_validate": _("Validation de la politique de conservation"),
    "retention.view": _("Consultation de la politique de conservation"),
    "rights.access_extract": _("Extraction pour un droit d'accès"),
    "rights.create": _("Enregistrement d'une demande de droits"),
    "rights.erasure": _("Effacement au titre d'une demande de droits"),
    "rights.list": _("Consultation des demandes de droits"),
    "rights.reminder": _("Rappel d'échéance d'une demande de droits"),
    "rights.restriction": _("Limitation au titre d'une demande de droits"),
    "rights.update": _("Mise à jour d'une demande de droits"),
}
AUDIT_PREFIXES = {
    "dpo.document_": _("Console DPO : export d'un document"),
}


class PrivacyConfig(AppConfig):
    name = "cmer.privacy"
    label = "privacy"
    verbose_name = _("Protection des données")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS, prefixes=AUDIT_PREFIXES)
        from cmer.accounts import approvals
        from cmer.cases.schedule import register_deletion_rule
        from cmer.core import dashboard, navigation
        from cmer.privacy.permissions import can_use_dpo_console, can_view_retention
        from cmer.privacy.retention import scheduled_deletion
        from cmer.privacy.views import dashboard_widget

        navigation.register(
            "privacy:dpo", _("Console DPO"), visible=can_use_dpo_console, order=80, section="data"
        )
        navigation.register(
            "privacy:rights", _("Demandes de droits"), visible=can_use_dpo_console, order=81, section="data"
        )
        navigation.register(
            "privacy:retention", _("Conservation"), visible=can_view_retention, order=85, section="data"
        )
        # The DPO's rights requests, or the destructions coming for the president and coordinator.
        dashboard.register(dashboard_widget, visible=can_view_retention, order=80)
        # Cases keep their deletion date current with privacy's rule, without importing privacy.
        register_deletion_rule(scheduled_deletion)
        # Rectification and erasure are offered on the case page (docs/rules.md §13).
        from cmer.cases import links
        from cmer.privacy.links import erase_link, rectify_link

        links.register(rectify_link)
        links.register(erase_link)
        # The DPO is alerted when the platform admin opens an access that waits for the president.
        from cmer.privacy.notifications import alert_dpo_of_pending_membership

        approvals.register(alert_dpo_of_pending_membership)
