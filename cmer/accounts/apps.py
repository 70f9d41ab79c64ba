from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cmer.accounts"
    label = "accounts"
    verbose_name = _("Comptes et cellules")

    def ready(self) -> None:
        from cmer.accounts.roles import Role
        from cmer.core import navigation

        navigation.register("core:dashboard", _("Tableau de bord"), set(Role.values), order=0)
        navigation.register("accounts:members", _("Membres"), {Role.PRESIDENT, Role.COORDINATOR}, order=90)
