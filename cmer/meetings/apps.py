from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "cmer.meetings"
    label = "meetings"
