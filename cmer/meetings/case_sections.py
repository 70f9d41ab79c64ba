"""The meetings app's section of the situation page: the meetings and decisions that concerned it.

Registered with cmer.cases.sections in MeetingsConfig.ready. Read through AgendaItem.visible_to,
so a member sees the items of the meetings they are convened to and a guest only their own item.
"""

from __future__ import annotations

from datetime import datetime

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

# A meeting still to hold (docs/rules.md §5): not cancelled, its séance not opened, its relevé not
# validated (which implies opened today; said anyway, as the rules say it). The filter and _to_hold
# say the same, for a queryset and for a meeting already read.
TO_HOLD = {"cancelled_at__isnull": True, "opened_at__isnull": True, "minutes_validated_at__isnull": True}


def _to_hold(meeting: Meeting, now: datetime) -> bool:
    return (
        meeting.starts_at >= now
        and meeting.cancelled_at is None
        and meeting.opened_at is None
        and meeting.minutes_validated_at is None
    )


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
    # « Prochaine » is a meeting still to hold (_to_hold): one opened early, before its hour, is
    # under way or held, even while its start is still ahead.
    upcoming = [i.meeting for i in items if _to_hold(i.meeting, now)]
    # Managers may put a situation waiting for the cell on another meeting still to hold.
    offered: list[Meeting] = []
    if can_manage_meetings(membership) and case.state in ITEM_KIND_FOR_STATE:
        offered = list(
            Meeting.objects.visible_to(membership)
            .filter(starts_at__gte=now, **TO_HOLD)
            .exclude(pk__in=[i.meeting_id for i in items])
            .order_by("starts_at")[:UPCOMING_OFFERED]
        )
    summary: tuple[tuple[object, str], ...] = ()
    nearest = min(upcoming, key=lambda m: m.starts_at) if upcoming else None
    if nearest is not None:
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
            # « Aucune réunion à venir » only when the situation is on none either.
            "next_meeting": nearest,
        },
        order=30,
        summary=summary,  # type: ignore[arg-type]
    )
