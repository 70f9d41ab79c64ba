from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "cmer.training"
    label = "training"

    def ready(self) -> None:
        from cmer.accounts.roles import Role
        from cmer.core import dashboard, navigation
        from cmer.training.widgets import certification_widget, expiring_widget

        navigation.register("training:self_study", _("Formation"), set(Role.values), order=80)
        navigation.register(
            "training:sessions", _("Sessions de formation"), {Role.TRAINER, Role.COORDINATOR}, order=81
        )
        navigation.register(
            "training:draft", _("Catalogue (brouillon)"), {Role.TRAINER, Role.COORDINATOR}, order=82
        )
        navigation.register(
            "training:bias_counts", _("Vigilance de rédaction"), {Role.TRAINER, Role.COORDINATOR}, order=83
        )
        dashboard.register(certification_widget, order=80)
        dashboard.register(expiring_widget, order=81)
