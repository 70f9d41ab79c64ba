from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What each audit action recorded here reads as on the DPO's pages (cmer/audit/labels.py).
AUDIT_LABELS = {
    "meeting.cancel": _("Annulation d'une réunion"),
    "meeting.cancelled": _("Annulation d'une réunion"),
    "meeting.convene": _("Convocation d'une réunion"),
    "meeting.convened": _("Convocation d'une réunion"),
    "meeting.create": _("Création d'une réunion"),
    "meeting.decide": _("Décision en réunion"),
    "meeting.decision_changed": _("Modification d'une décision"),
    "meeting.decision_recorded": _("Enregistrement d'une décision"),
    "meeting.guest_invite": _("Invitation d'un invité à une réunion"),
    "meeting.guest_invited": _("Invitation d'un invité à une réunion"),
    "meeting.guest_uninvite": _("Retrait de l'invitation d'un invité"),
    "meeting.guest_uninvited": _("Retrait de l'invitation d'un invité"),
    "meeting.item_add": _("Ajout d'un point à l'ordre du jour"),
    "meeting.item_added": _("Ajout d'un point à l'ordre du jour"),
    "meeting.item_move": _("Déplacement d'un point de l'ordre du jour"),
    "meeting.item_moved": _("Déplacement d'un point de l'ordre du jour"),
    "meeting.item_remove": _("Retrait d'un point de l'ordre du jour"),
    "meeting.item_removed": _("Retrait d'un point de l'ordre du jour"),
    "meeting.list": _("Consultation des réunions"),
    "meeting.minutes": _("Relevé de décisions"),
    "meeting.minutes_validate": _("Validation du relevé de décisions"),
    "meeting.minutes_validated": _("Validation du relevé de décisions"),
    "meeting.names_read": _("Lecture des noms d'une réunion"),
    "meeting.open": _("Ouverture d'une séance"),
    "meeting.opened": _("Ouverture d'une séance"),
    "meeting.scheduled": _("Planification d'une réunion"),
}
AUDIT_PREFIXES = {
    "meeting.export_": _("Export d'un document de réunion"),
}


class MeetingsConfig(AppConfig):
    name = "cmer.meetings"
    label = "meetings"
    verbose_name = _("Réunions")

    def ready(self) -> None:
        from cmer.audit import labels as audit_labels

        audit_labels.register(AUDIT_LABELS, prefixes=AUDIT_PREFIXES)
        from cmer.cases import sections
        from cmer.core import dashboard, navigation
        from cmer.meetings import widgets
        from cmer.meetings.case_sections import meetings_section
        from cmer.meetings.permissions import can_be_convened, can_see_my_meetings, can_validate_minutes

        # Guests see a meeting from their convocation, not from the menu.
        navigation.register(
            "meetings:list", _("Réunions"), visible=can_be_convened, order=40, section="meetings"
        )
        dashboard.register(widgets.next_meeting, visible=can_be_convened, order=30)
        dashboard.register(widgets.minutes_to_validate, visible=can_validate_minutes, order=35)
        dashboard.register(widgets.my_meetings, visible=can_see_my_meetings, order=30)
        sections.register(meetings_section)
