from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cmer.cases"
    label = "cases"
    verbose_name = _("Situations")

    def ready(self) -> None:
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
