from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cmer.cases"
    label = "cases"
    verbose_name = _("Situations")

    def ready(self) -> None:
        from cmer.accounts.roles import Role
        from cmer.cases import widgets
        from cmer.core import dashboard, navigation

        managers = {Role.PRESIDENT, Role.COORDINATOR}
        submitters = managers | {Role.MEMBER, Role.REPORTER}
        navigation.register("referrals:submit", _("Signaler"), submitters, order=10)
        navigation.register("referrals:mine", _("Mes signalements"), submitters, order=11)
        navigation.register("cases:queue", _("À qualifier"), managers, order=20)
        navigation.register("cases:list", _("Situations"), managers, order=21)
        dashboard.register(widgets.qualification_widget, order=10)
        dashboard.register(widgets.my_referrals_widget, order=15)
