from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cmer.cases"
    label = "cases"
    verbose_name = _("Situations")

    def ready(self) -> None:
        from cmer.cases import widgets
        from cmer.cases.permissions import can_list_cases, can_qualify
        from cmer.core import dashboard, navigation

        navigation.register("cases:queue", _("À qualifier"), visible=can_qualify, order=20)
        navigation.register("cases:list", _("Situations"), visible=can_list_cases, order=21)
        dashboard.register(widgets.qualification_widget, visible=can_qualify, order=10)
