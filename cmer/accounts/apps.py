from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "cmer.accounts"
    label = "accounts"
    verbose_name = _("Comptes et cellules")

    def ready(self) -> None:
        from cmer.accounts.permissions import can_approve_memberships, can_manage_memberships, has_membership
        from cmer.accounts.views import approvals_widget
        from cmer.core import dashboard, navigation

        navigation.register("core:dashboard", _("Tableau de bord"), visible=has_membership, order=0)
        navigation.register(
            "accounts:members", _("Membres"), visible=can_manage_memberships, order=90, section="cell"
        )
        # Memberships made by the platform admin wait for the president (docs/rules.md).
        dashboard.register(approvals_widget, visible=can_approve_memberships, order=5)
        # Every admin write in the audit chain, third-party admins included (all are registered
        # by now: the admin app, first in INSTALLED_APPS, discovered them before this ready()).
        from cmer.accounts.admin import audit_every_registration

        audit_every_registration()
