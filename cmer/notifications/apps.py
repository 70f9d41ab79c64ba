from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "cmer.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from cmer.accounts.roles import Role
        from cmer.core import navigation
        from cmer.notifications import reminders  # noqa: F401  (registers the charter kind and reminder)

        # Each app declares its kinds and reminders in its own `notifications.py`: importing them
        # here fills the registry without this app naming any of them.
        autodiscover_modules("notifications")
        navigation.register("notifications:inbox", _("Notifications"), set(Role.values), order=95)
