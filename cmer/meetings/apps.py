from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "cmer.meetings"
    label = "meetings"
    verbose_name = _("Réunions")

    def ready(self) -> None:
        from cmer.cases import sections
        from cmer.core import dashboard, navigation
        from cmer.meetings import widgets
        from cmer.meetings.case_sections import meetings_section
        from cmer.meetings.permissions import can_be_convened, can_see_my_meetings, can_validate_minutes

        # Guests see a meeting from their convocation, not from the menu.
        navigation.register(
            "meetings:list", _("Réunions"), visible=can_be_convened, order=40, section="meetings"
        )
        dashboard.register(widgets.next_meeting, visible=can_be_convened, order=30)
        dashboard.register(widgets.minutes_to_validate, visible=can_validate_minutes, order=35)
        dashboard.register(widgets.my_meetings, visible=can_see_my_meetings, order=30)
        sections.register(meetings_section)
