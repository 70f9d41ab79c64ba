from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "cmer.meetings"
    label = "meetings"
    verbose_name = _("Réunions")

    def ready(self) -> None:
        from cmer.accounts.roles import FOLLOWERS
        from cmer.core import dashboard, navigation
        from cmer.meetings import widgets

        # Guests see a meeting from their convocation, not from the menu.
        navigation.register("meetings:list", _("Réunions"), set(FOLLOWERS), order=40)
        dashboard.register(widgets.next_meeting, order=30)
        dashboard.register(widgets.minutes_to_validate, order=35)
