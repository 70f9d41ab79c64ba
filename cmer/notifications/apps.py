from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "notification.read": _("Lecture d'une notification"),
    "notification.read_all": _("Toutes les notifications marquées comme lues"),
    "notifications.preferences": _("Préférences de notification"),
}


class NotificationsConfig(AppConfig):
    name = "cmer.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
        from django.utils.module_loading import autodiscover_modules

        from cmer.core import navigation
        from cmer.notifications import reminders  # noqa: F401  (registers the charter kind and reminder)
        from cmer.notifications.permissions import can_read_inbox

        # Each app declares its kinds and reminders in its own `notifications.py`: importing them
        # here fills the registry without this app naming any of them.
        autodiscover_modules("notifications")
        navigation.register(
            "notifications:inbox", _("Notifications"), visible=can_read_inbox, order=95, section="cell"
        )
