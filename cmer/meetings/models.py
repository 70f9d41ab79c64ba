from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.core.french import format_date
from cmer.core.public_ids import public_id
from cmer.meetings.permissions import can_list_meetings, sees_every_meeting, sees_whole_agenda

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, membership: Membership | None) -> MeetingQuerySet:
        """Managers: every meeting of the cell; other participants: those they are convened or invited to."""
        if membership is None or not can_list_meetings(membership):
            return self.none()
        in_cell = self.filter(cell_id=membership.cell_id)
        if sees_every_meeting(membership):
            return in_cell
        ids = in_cell.filter(attendees__membership=membership).values("pk")
        return in_cell.filter(pk__in=ids)


class Meeting(models.Model):
    """A meeting of the cell: convened, held, then its relevé de décisions validated by the president."""

    cell = models.ForeignKey("accounts.Cell", on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    place = models.CharField(_("lieu"), max_length=200)
    convened_at = models.DateTimeField(_("convoquée le"), null=True, blank=True)
    opened_at = models.DateTimeField(_("ouverte le"), null=True, blank=True)
    minutes_validated_at = models.DateTimeField(_("relevé validé le"), null=True, blank=True)
    minutes_validated_by = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("réunion")
        ordering = ["-starts_at"]

    def __str__(self) -> str:
        return _("Réunion du %(day)s") % {"day": format_date(self.starts_at)}

    @property
    def is_under_way(self) -> bool:
        """Opened and not past its end: the séance sits (« en cours »), it is not yet « tenue ».

        The séance's end is not recorded: the meeting's own end stands for it, as for the « À venir »
        list and a guest's window (docs/rules.md §5). A séance opened before its hour is under way.
        """
        return (
            self.opened_at is not None
            and self.minutes_validated_at is None
            and self.cancelled_at is None
            and timezone.now() <= self.ends_at
        )


class Attendance(models.TextChoices):
    PRESENT = "present", _("présent")
    EXCUSED = "excused", _("excusé")
    ABSENT = "absent", _("absent")


class Attendee(models.Model):
    """A membership convened to a meeting (guests too: they are tied to their items)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    membership = models.ForeignKey(
        "accounts.Membership", on_delete=models.PROTECT, related_name="attendances"
    )
    # Recorded when the séance is opened; empty until then (and for guests, invited to an item).
    attendance = models.CharField(
        _("présence"), max_length=8, choices=Attendance.choices, blank=True, default=""
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "membership"], name="attendee_once")]

    def __str__(self) -> str:
        return f"{self.meeting_id}/{self.membership_id}"


class ItemKind(models.TextChoices):
    REVIEW = "review", _("examen")
    WATCH = "watch", _("réexamen de veille")
    SUPPORT_REVIEW = "support_review", _("revue d'accompagnement")


class AgendaItemQuerySet(models.QuerySet["AgendaItem"]):
    def visible_to(self, membership: Membership | None) -> AgendaItemQuerySet:
        """Items of the meetings the membership sees; a guest only their own items, during the meeting.

        The guest window is the same rule as `in_meeting_window`, written as a filter.
        """
        items = self.filter(meeting__in=Meeting.objects.visible_to(membership))
        if sees_whole_agenda(membership):
            return items
        now = timezone.now()
        return items.filter(
            guests=membership,
            meeting__starts_at__lte=now,
            meeting__ends_at__gte=now,
            meeting__cancelled_at__isnull=True,
        )


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="agenda_items")
    kind = models.CharField(_("nature"), max_length=16, choices=ItemKind.choices)
    order = models.PositiveSmallIntegerField(default=0)
    guests = models.ManyToManyField("accounts.Membership", blank=True, related_name="guest_items")

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="case_once_per_agenda")]

    def __str__(self) -> str:
        return f"{self.meeting_id}#{self.order}"

    @property
    def anchor(self) -> str:
        """The item's HTML id, also a URL fragment (#…): its public id, never its primary key."""
        return f"item-{public_id('agenda_item', self.pk)}"


class DecisionKind(models.TextChoices):
    TRANSMIT_TO_STATE = "transmit_to_state", _("transmission à l'État (préfecture / GED)")
    PROPOSE_SUPPORT = "propose_support", _("proposition d'accompagnement")
    WATCH = "watch", _("veille")
    CLOSE = "close", _("clôture")
    CONTINUE = "continue", _("poursuite de l'accompagnement")


class Decision(models.Model):
    """An entry of the relevé de décisions: closed-list decision, responsible service, deadline.

    Editable until the president validates the relevé; the situation moves only then, so the
    details needed to apply it (closing reason, consent dates, path referent) are kept here.
    """

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="decision")
    kind = models.CharField(_("décision"), max_length=20, choices=DecisionKind.choices)
    responsible_service = models.CharField(_("service responsable"), max_length=120)
    deadline = models.DateField(_("échéance"), null=True, blank=True)
    close_reason = models.CharField(_("motif de clôture"), max_length=32, blank=True)
    consent_on = models.DateField(_("libre adhésion recueillie le"), null=True, blank=True)
    parental_info_on = models.DateField(_("autorité parentale informée le"), null=True, blank=True)
    path_referent = models.CharField(_("référent de parcours"), max_length=120, blank=True)
    recorded_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.item_id}: {self.kind}"
