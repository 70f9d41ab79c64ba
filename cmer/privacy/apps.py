from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "cmer.privacy"
    label = "privacy"
    verbose_name = _("Protection des données")

    def ready(self) -> None:
        from cmer.accounts.roles import Role
        from cmer.cases.schedule import register_deletion_rule
        from cmer.core import dashboard, navigation
        from cmer.privacy.retention import scheduled_deletion
        from cmer.privacy.views import dashboard_widget

        navigation.register("privacy:dpo", _("Console DPO"), {Role.DPO}, order=80)
        navigation.register("privacy:rights", _("Demandes de droits"), {Role.DPO}, order=81)
        navigation.register(
            "privacy:retention", _("Conservation"), {Role.DPO, Role.COORDINATOR, Role.PRESIDENT}, order=85
        )
        dashboard.register(dashboard_widget, order=80)
        # Cases keep their deletion date current with privacy's rule, without importing privacy.
        register_deletion_rule(scheduled_deletion)
