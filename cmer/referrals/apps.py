from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "cmer.referrals"
    label = "referrals"
    verbose_name = _("Signalements")

    def ready(self) -> None:
        from cmer.accounts.roles import SUBMITTERS
        from cmer.core import dashboard, navigation
        from cmer.referrals import widgets

        navigation.register("referrals:submit", _("Signaler"), set(SUBMITTERS), order=10)
        navigation.register("referrals:mine", _("Mes signalements"), set(SUBMITTERS), order=11)
        dashboard.register(widgets.my_referrals_widget, order=15)
