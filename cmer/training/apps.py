from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "bias.override_reviewed": _("Revue d'un passage outre l'alerte de biais"),
    "bias.override_stored": _("Passage outre l'alerte de biais"),
    "catalogue.approve": _("Approbation du catalogue d'indicateurs"),
    "catalogue.approved": _("Approbation du catalogue d'indicateurs"),
    "catalogue.caveat_deleted": _("Suppression d'une mise en garde du catalogue"),
    "catalogue.caveat_edit": _("Modification d'une mise en garde du catalogue"),
    "catalogue.caveat_saved": _("Enregistrement d'une mise en garde du catalogue"),
    "catalogue.domain_edit": _("Modification d'un domaine du catalogue"),
    "catalogue.domain_saved": _("Enregistrement d'un domaine du catalogue"),
    "catalogue.draft_create": _("Création d'un brouillon du catalogue"),
    "catalogue.draft_created": _("Création d'un brouillon du catalogue"),
    "catalogue.draft_view": _("Consultation du brouillon du catalogue"),
    "catalogue.indicator_deleted": _("Suppression d'un indicateur du catalogue"),
    "catalogue.indicator_edit": _("Modification d'un indicateur du catalogue"),
    "catalogue.indicator_saved": _("Enregistrement d'un indicateur du catalogue"),
    "catalogue.item_delete": _("Suppression d'un élément du catalogue"),
    "catalogue.superseded": _("Remplacement du catalogue par une nouvelle version"),
    "referral.submit.not_certified": _("Signalement refusé faute de formation à jour"),
    "training.attendance_add": _("Ajout d'une présence à une formation"),
    "training.attendance_recorded": _("Enregistrement d'une présence à une formation"),
    "training.bias_counts": _("Consultation des alertes de biais"),
    "training.bias_overrides": _("Consultation des passages outre l'alerte de biais"),
    "training.certification": _("Attestation de formation"),
    "training.certification_issue": _("Délivrance d'une attestation de formation"),
    "training.certification_issued": _("Délivrance d'une attestation de formation"),
    "training.certification_revoke": _("Retrait d'une attestation de formation"),
    "training.certification_revoked": _("Retrait d'une attestation de formation"),
    "training.expiring_list": _("Consultation des formations à renouveler"),
    "training.expiry_notified": _("Avis d'expiration de formation"),
    "training.quiz_recorded": _("Résultat d'un questionnaire de formation"),
    "training.session_create": _("Création d'une session de formation"),
    "training.session_created": _("Création d'une session de formation"),
    "training.session_list": _("Consultation des sessions de formation"),
}


class TrainingConfig(AppConfig):
    name = "cmer.training"
    label = "training"

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
        from cmer.core import dashboard, navigation
        from cmer.training.permissions import (
            can_review_bias_overrides,
            can_self_study,
            can_view_bias_counts,
            can_view_catalogue_draft,
            can_view_sessions,
            needs_certification,
        )
        from cmer.training.views import bias_overrides_widget
        from cmer.training.widgets import certification_widget, expiring_widget

        navigation.register(
            "training:self_study", _("Formation"), visible=can_self_study, order=80, section="training"
        )
        navigation.register(
            "training:sessions",
            _("Sessions de formation"),
            visible=can_view_sessions,
            order=81,
            section="training",
        )
        navigation.register(
            "training:draft",
            _("Catalogue (brouillon)"),
            visible=can_view_catalogue_draft,
            order=82,
            section="training",
        )
        navigation.register(
            "training:bias_counts",
            _("Vigilance de rédaction"),
            visible=can_view_bias_counts,
            order=83,
            section="training",
        )
        dashboard.register(certification_widget, visible=needs_certification, order=80)
        dashboard.register(expiring_widget, visible=can_view_sessions, order=81)
        # Texts kept despite a bias-guard warning, for the coordinator to re-read.
        dashboard.register(bias_overrides_widget, visible=can_review_bias_overrides, order=82)
