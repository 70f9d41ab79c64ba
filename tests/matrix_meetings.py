from django.urls import reverse

from cmer.core.public_ids import public_id
from cmer.meetings.forms import OpenForm
from cmer.meetings.models import AgendaItem, Meeting
from cmer.meetings.services import attendance_roll
from tests.factories import make_case
from tests.factories_meetings import make_item, make_meeting
from tests.matrix import CELL_MANAGERS, Row, audited, to

FOLLOWERS = CELL_MANAGERS | {"member", "state_member"}
PARTICIPANTS = FOLLOWERS | {"guest"}
# Participants who may see the meeting but not run it: refused by the predicate (403).
SEE_ONLY = {"member": 403, "state_member": 403}
SEE_ONLY_AND_GUEST = {**SEE_ONLY, "guest": 403}


def _meeting_with_item(w, c):
    return make_item(c).meeting


def _open_item(w, c):
    return make_item(c, make_meeting(c, opened=True))


def _convened_meeting(w, c):  # type: ignore[no-untyped-def]
    """A convened meeting of cell c with one item; its guest is invited to that item."""
    meeting = make_meeting(c)
    make_item(c, meeting)
    return {"pk": meeting.pk}


def _attendance(w, c):  # type: ignore[no-untyped-def]
    """The opening form of cell c's latest meeting: every convened member marked present."""
    meeting = Meeting.objects.filter(cell=c.cell).latest("pk")
    return {OpenForm.field_name(a): "present" for a in attendance_roll(meeting)}


def _item_meeting(name: str, anchor: bool = False):  # type: ignore[no-untyped-def]
    """Redirect target: page `name` of the item's meeting (with the item's anchor)."""

    def target(w, c, kw):  # type: ignore[no-untyped-def]
        item = AgendaItem.objects.get(pk=kw["pk"])
        url = reverse(name, kwargs={"pk": item.meeting_id})
        return f"{url}#{item.anchor}" if anchor else url

    return target


ROWS = {
    "meetings:list": Row(allowed=PARTICIPANTS),
    "meetings:create": Row(allowed=CELL_MANAGERS),
    "meetings:detail": Row(
        allowed=PARTICIPANTS, kwargs=lambda w, c: {"pk": _meeting_with_item(w, c).pk}, refused=404
    ),
    "meetings:session": Row(
        allowed=PARTICIPANTS, kwargs=lambda w, c: {"pk": _open_item(w, c).meeting_id}, refused=404
    ),
    "meetings:minutes": Row(
        allowed=FOLLOWERS,
        kwargs=lambda w, c: {"pk": _meeting_with_item(w, c).pk},
        refused=404,
        refused_for={"guest": 403},
    ),
    "meetings:convocation_pdf": Row(allowed=PARTICIPANTS, kwargs=_convened_meeting, refused=404),
    "meetings:agenda_pdf": Row(allowed=PARTICIPANTS, kwargs=_convened_meeting, refused=404),
    "meetings:minutes_pdf": Row(
        allowed=CELL_MANAGERS, kwargs=_convened_meeting, refused=404, refused_for=SEE_ONLY_AND_GUEST
    ),
    "meetings:convene": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_meeting(c, convened=False).pk},
        data=lambda w, c: {"attendees": [public_id("membership", c.members["member"].pk)]},
        redirect_to=to("meetings:detail", pk="pk"),
        effect=audited("meeting.convened"),
        refused=404,
    ),
    "meetings:item_add": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_meeting(c).pk},
        data=lambda w, c: {"case": public_id("case", make_case(c, "to_review").pk)},
        redirect_to=to("meetings:detail", pk="pk"),
        effect=audited("meeting.item_added"),
        refused=404,
        refused_for=SEE_ONLY,
    ),
    "meetings:open": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_meeting(c).pk},
        data=_attendance,
        redirect_to=to("meetings:session", pk="pk"),
        effect=lambda w, c, kw: (
            Meeting.objects.filter(pk=kw["pk"], opened_at__isnull=False).exists()
            and Meeting.objects.get(pk=kw["pk"]).attendees.filter(attendance="present").count() == 4
        ),
        refused=404,
        refused_for=SEE_ONLY,
    ),
    "meetings:validate": Row(
        method="POST",
        allowed=frozenset({"president"}),
        kwargs=lambda w, c: {"pk": make_meeting(c, opened=True).pk},
        redirect_to=to("meetings:minutes", pk="pk"),
        effect=audited("meeting.minutes_validated"),
        refused=404,
        refused_for={**SEE_ONLY, "coordinator": 403},
    ),
    "meetings:cancel": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_meeting(c, in_window=False).pk},
        redirect_to="meetings:list",
        effect=lambda w, c, kw: Meeting.objects.filter(pk=kw["pk"], cancelled_at__isnull=False).exists(),
        refused=404,
        refused_for=SEE_ONLY,
    ),
    "meetings:item_uninvite": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_item(c, make_meeting(c, in_window=False)).pk},
        data=lambda w, c: {"guest": public_id("membership", c.members["guest"].pk)},
        redirect_to=_item_meeting("meetings:detail"),
        effect=lambda w, c, kw: not AgendaItem.objects.filter(pk=kw["pk"], guests__isnull=False).exists(),
        refused=404,
        refused_for=SEE_ONLY,
    ),
    "meetings:item_remove": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_item(c).pk},
        # The item is gone: its meeting is the cell's latest one (made with the item).
        redirect_to=lambda w, c, kw: reverse(
            "meetings:detail", kwargs={"pk": Meeting.objects.filter(cell=c.cell).latest("pk").pk}
        ),
        effect=lambda w, c, kw: not AgendaItem.objects.filter(pk=kw["pk"]).exists(),
        refused=404,
        refused_for=SEE_ONLY_AND_GUEST,
    ),
    "meetings:item_move": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_item(c).pk},
        data=lambda w, c: {"direction": "up"},
        redirect_to=_item_meeting("meetings:detail", anchor=True),
        effect=audited("meeting.item_moved"),
        refused=404,
        refused_for=SEE_ONLY_AND_GUEST,
    ),
    "meetings:item_guest": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_item(c, guest=False).pk},
        data=lambda w, c: {"guest": public_id("membership", c.members["guest"].pk)},
        redirect_to=_item_meeting("meetings:detail"),
        effect=audited("meeting.guest_invited"),
        refused=404,
        refused_for=SEE_ONLY,
    ),
    "meetings:decide": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": _open_item(w, c).pk},
        data=lambda w, c: {
            "kind": "close",
            "close_reason": "no_further_elements",
            "responsible_service": "svc-member",
        },
        redirect_to=_item_meeting("meetings:session", anchor=True),
        effect=audited("meeting.decision_recorded"),
        refused=404,
        refused_for=SEE_ONLY_AND_GUEST,
    ),
}
