"""The meetings app's section of the situation page: the meetings and decisions that concerned it.

Registered with cmer.cases.sections in MeetingsConfig.ready. Read through AgendaItem.visible_to,
so a member sees the items of the meetings they are convened to and a guest only their own item.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.cases.models import Case
from cmer.cases.sections import CaseSection
from cmer.core.french import format_datetime
from cmer.meetings.models import AgendaItem, Meeting
from cmer.meetings.permissions import can_list_meetings, can_manage_meetings
from cmer.meetings.services import ITEM_KIND_FOR_STATE

# How many upcoming meetings the page offers to put the situation on (the nearest ones).
UPCOMING_OFFERED = 3


def meetings_section(membership: Membership, case: Case) -> CaseSection | None:
    if not can_list_meetings(membership):
        return None
    items = list(
        AgendaItem.objects.visible_to(membership)
        .filter(case=case)
        .select_related("meeting", "decision")
        .order_by("-meeting__starts_at", "-pk")
    )
    now = timezone.now()
    # « Prochaine » is a meeting still to come: not one under way or held, nor a cancelled one.
    upcoming = [i.meeting for i in items if i.meeting.starts_at >= now and i.meeting.cancelled_at is None]
    # Managers may put a situation waiting for the cell on a meeting not held yet.
    offered: list[Meeting] = []
    if can_manage_meetings(membership) and case.state in ITEM_KIND_FOR_STATE:
        offered = list(
            Meeting.objects.visible_to(membership)
            .filter(starts_at__gte=now, opened_at__isnull=True, minutes_validated_at__isnull=True)
            .exclude(pk__in=[i.meeting_id for i in items])
            .order_by("starts_at")[:UPCOMING_OFFERED]
        )
    summary: tuple[tuple[object, str], ...] = ()
    if upcoming:
        nearest = min(upcoming, key=lambda m: m.starts_at)
        summary = ((_("Prochaine réunion"), f"{format_datetime(nearest.starts_at)}, {nearest.place}"),)
    return CaseSection(
        anchor="reunions",
        title=_("Réunions et décisions"),
        template="meetings/case_section.html",
        context={
            "items": items,
            "offered": offered,
            "can_manage": can_manage_meetings(membership),
            "waiting": case.state in ITEM_KIND_FOR_STATE,
        },
        order=30,
        summary=summary,  # type: ignore[arg-type]
    )
