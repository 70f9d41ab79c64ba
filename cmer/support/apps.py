from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    """Support plans and their actions, assigned to the cell's services (docs/rules.md §3)."""

    name = "cmer.support"
    label = "support"
    verbose_name = _("Accompagnement")

    def ready(self) -> None:
        from cmer.cases import sections
        from cmer.core import dashboard, navigation
        from cmer.support import widgets
        from cmer.support.case_sections import support_section
        from cmer.support.permissions import can_see_my_actions, sees_actions_due

        # Managers reach actions from each plan; members from their own list.
        navigation.register(
            "support:my_actions", _("Mes actions"), visible=can_see_my_actions, order=45, section="cases"
        )
        dashboard.register(widgets.actions_due, visible=sees_actions_due, order=40)
        sections.register(support_section)
