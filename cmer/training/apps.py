from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "cmer.training"
    label = "training"

    def ready(self) -> None:
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
