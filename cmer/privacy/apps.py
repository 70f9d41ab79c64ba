from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "cmer.privacy"
    label = "privacy"
    verbose_name = _("Protection des données")

    def ready(self) -> None:
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
