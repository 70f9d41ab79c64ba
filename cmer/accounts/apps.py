from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "account.created": _("Création d'un compte"),
    "account.deactivated": _("Désactivation d'un compte"),
    "auth.backup_codes_regenerated": _("Renouvellement des codes de secours"),
    "auth.factor_reset_approved": _("Réinitialisation du second facteur approuvée"),
    "auth.factor_reset_requested": _("Demande de réinitialisation du second facteur"),
    "auth.login_second_factor": _("Connexion avec le second facteur"),
    "auth.otp_enrolled": _("Enrôlement du second facteur"),
    "auth.otp_replaced": _("Remplacement du second facteur"),
    "auth.passkey_enrolled": _("Enregistrement d'une clé d'accès"),
    "auth.passkey_refused": _("Clé d'accès refusée"),
    "auth.passkey_removed": _("Retrait d'une clé d'accès"),
    "auth.password_changed": _("Changement de mot de passe"),
    "auth.password_reset": _("Réinitialisation du mot de passe"),
    "auth.password_reset_requested": _("Demande de réinitialisation du mot de passe"),
    "auth.proconnect_linked": _("Liaison du compte à ProConnect"),
    "auth.proconnect_refused": _("Connexion ProConnect refusée"),
    "auth.reauth_failed": _("Échec de confirmation d'identité"),
    "auth.second_factor_failed": _("Échec du second facteur"),
    "cell.selected": _("Choix de la cellule"),
    "charter.accepted": _("Acceptation de la charte"),
    "factor_reset.approve": _("Approbation d'une réinitialisation du second facteur"),
    "factor_reset.request": _("Demande de réinitialisation du second facteur pour un membre"),
    "invitation.accepted": _("Acceptation d'une invitation"),
    "invitation.create": _("Création d'une invitation"),
    "invitation.created": _("Création d'une invitation"),
    "invitation.resend": _("Renvoi d'une invitation"),
    "invitation.resent": _("Renvoi d'une invitation"),
    "invitation.revoke": _("Révocation d'une invitation"),
    "invitation.revoked": _("Révocation d'une invitation"),
    "membership.approvals": _("Consultation des appartenances à valider"),
    "membership.approve": _("Validation d'une appartenance"),
    "membership.approved": _("Validation d'une appartenance"),
    "membership.create": _("Ajout d'un membre"),
    "membership.created": _("Ajout d'un membre"),
    "membership.end": _("Fin d'une appartenance"),
    "membership.ended": _("Fin d'une appartenance"),
    "membership.list": _("Consultation des membres"),
    "membership.role": _("Changement de rôle"),
    "membership.role_changed": _("Changement de rôle"),
}
AUDIT_PREFIXES = {
    "admin.": _("Modification dans l'administration de la plateforme"),
}


class AccountsConfig(AppConfig):
    name = "cmer.accounts"
    label = "accounts"
    verbose_name = _("Comptes et cellules")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS, prefixes=AUDIT_PREFIXES)
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
