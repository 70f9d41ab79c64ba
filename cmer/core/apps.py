from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cmer.core"
    label = "core"
