from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cmer.accounts"
    label = "accounts"
    verbose_name = _("Comptes et cellules")

    def ready(self) -> None:
        from cmer.accounts.permissions import can_manage_memberships, has_membership
        from cmer.core import navigation

        navigation.register("core:dashboard", _("Tableau de bord"), visible=has_membership, order=0)
        navigation.register(
            "accounts:members", _("Membres"), visible=can_manage_memberships, order=90, section="cell"
        )
