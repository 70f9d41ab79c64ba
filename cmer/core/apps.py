from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cmer.core"
    label = "core"

    def ready(self) -> None:
        from cmer.core import checks  # noqa: F401  (registers the deployment checks)
        from cmer.core.public_ids import register_converters

        register_converters()  # the <case:pk>… of the URL patterns, before any is compiled
