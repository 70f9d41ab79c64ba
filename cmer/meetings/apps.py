from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "cmer.meetings"
    label = "meetings"
    verbose_name = _("Réunions")

    def ready(self) -> None:
        from cmer.accounts.roles import Role
        from cmer.core import dashboard, navigation
        from cmer.meetings import widgets

        followers = {Role.PRESIDENT, Role.COORDINATOR, Role.MEMBER, Role.STATE_MEMBER}
        navigation.register("meetings:list", _("Réunions"), followers, order=40)
        navigation.register(
            "support:my_actions", _("Mes actions"), {Role.MEMBER, Role.STATE_MEMBER}, order=45
        )
        dashboard.register(widgets.next_meeting, order=30)
        dashboard.register(widgets.minutes_to_validate, order=35)
        dashboard.register(widgets.actions_due, order=40)
