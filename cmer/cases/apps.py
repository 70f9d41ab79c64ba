from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cmer.cases"
    label = "cases"
    verbose_name = _("Situations")

    def ready(self) -> None:
        from cmer.accounts.roles import MANAGERS
        from cmer.cases import widgets
        from cmer.core import dashboard, navigation

        navigation.register("cases:queue", _("À qualifier"), set(MANAGERS), order=20)
        navigation.register("cases:list", _("Situations"), set(MANAGERS), order=21)
        dashboard.register(widgets.qualification_widget, order=10)
