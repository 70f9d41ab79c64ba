from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "support.action_assign": _("Attribution d'une action d'accompagnement"),
    "support.action_assigned": _("Attribution d'une action d'accompagnement"),
    "support.action_read": _("Lecture d'une action d'accompagnement"),
    "support.action_update": _("Mise à jour d'une action d'accompagnement"),
    "support.action_updated": _("Mise à jour d'une action d'accompagnement"),
    "support.my_actions": _("Consultation de mes actions"),
    "support.plan_ended": _("Fin d'un plan d'accompagnement"),
    "support.plan_read": _("Lecture d'un plan d'accompagnement"),
    "support.plan_started": _("Début d'un plan d'accompagnement"),
}


class SupportConfig(AppConfig):
    """Support plans and their actions, assigned to the cell's services (docs/rules.md §3)."""

    name = "cmer.support"
    label = "support"
    verbose_name = _("Accompagnement")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
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
