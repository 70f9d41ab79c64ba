from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "referral.mine": _("Consultation de mes signalements"),
    "referral.receipt_read": _("Lecture d'un récépissé de signalement"),
    "referral.submit": _("Envoi d'un signalement"),
}


class ReferralsConfig(AppConfig):
    name = "cmer.referrals"
    label = "referrals"
    verbose_name = _("Signalements")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS)
        from cmer.core import dashboard, navigation
        from cmer.referrals import widgets
        from cmer.referrals.permissions import can_follow_own_referrals

        # The submit page stays in the menu of an uncertified submitter: it explains the gate.
        navigation.register(
            "referrals:submit", _("Signaler"), visible=can_follow_own_referrals, order=10, section="referrals"
        )
        navigation.register(
            "referrals:mine",
            _("Mes signalements"),
            visible=can_follow_own_referrals,
            order=11,
            section="referrals",
        )
        dashboard.register(widgets.my_referrals_widget, visible=can_follow_own_referrals, order=15)
