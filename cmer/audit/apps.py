from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "audit.purge": _("Purge du journal d'audit"),
    "audit.redact": _(
        "Effacement du contenu des événements d'une cellule au-delà de sa durée de conservation"
    ),
    "access.not_visible": _("Accès à un objet hors de portée"),
    "auth.session_expired": _("Expiration de session"),
    "auth.locked_out": _("Blocage du compte après des échecs de connexion"),
    "auth.login_failed": _("Échec de connexion"),
    "auth.login_password": _("Connexion par mot de passe"),
    "auth.logout": _("Déconnexion"),
}


class AuditConfig(AppConfig):
    name = "cmer.audit"
    label = "audit"
    verbose_name = _("Journal d'audit")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
        from cmer.audit import receivers  # noqa: F401  (auth signals → audit events)
