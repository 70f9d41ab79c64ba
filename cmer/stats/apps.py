from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "stats.export_csv": _("Export des statistiques (tableur)"),
    "stats.export_pdf": _("Export des statistiques (PDF)"),
    "stats.view": _("Consultation des statistiques"),
}


class StatsConfig(AppConfig):
    name = "cmer.stats"
    label = "stats"
    verbose_name = _("Statistiques")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
        from cmer.core import navigation
        from cmer.stats.permissions import can_view_stats

        navigation.register(
            "stats:index", _("Statistiques"), visible=can_view_stats, order=80, section="data"
        )
