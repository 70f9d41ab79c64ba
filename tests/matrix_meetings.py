from tests.factories import make_case
from tests.factories_meetings import make_item, make_meeting
from tests.matrix import CELL_MANAGERS, Row

FOLLOWERS = CELL_MANAGERS | {"member", "state_member"}
PARTICIPANTS = FOLLOWERS | {"guest"}


def _meeting_with_item(w, c):
    return make_item(c).meeting


def _open_item(w, c):
    return make_item(c, make_meeting(c, opened=True))


def _convened_meeting(w, c):
    """A convened meeting of cell c with one item; its guest is invited to that item."""
    meeting = make_meeting(c)
    make_item(c, meeting)
    return {"pk": meeting.pk}


ROWS = {
    "meetings:list": Row(allowed=PARTICIPANTS),
    "meetings:create": Row(allowed=CELL_MANAGERS),
    "meetings:detail": Row(allowed=PARTICIPANTS, kwargs=lambda w, c: {"pk": _meeting_with_item(w, c).pk}),
    "meetings:session": Row(allowed=PARTICIPANTS, kwargs=lambda w, c: {"pk": _open_item(w, c).meeting_id}),
    "meetings:minutes": Row(allowed=FOLLOWERS, kwargs=lambda w, c: {"pk": _meeting_with_item(w, c).pk}),
    "meetings:convocation_pdf": Row(allowed=PARTICIPANTS, kwargs=_convened_meeting),
    "meetings:agenda_pdf": Row(allowed=PARTICIPANTS, kwargs=_convened_meeting),
    "meetings:minutes_pdf": Row(allowed=CELL_MANAGERS, kwargs=_convened_meeting),
    "meetings:convene": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_meeting(c, convened=False).pk},
        data=lambda w, c: {"attendees": [c.members["member"].pk]},
    ),
    "meetings:item_add": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_meeting(c).pk},
        data=lambda w, c: {"case": make_case(c, "to_review").pk},
    ),
    "meetings:open": Row(
        method="POST", allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_meeting(c).pk}
    ),
    "meetings:validate": Row(
        method="POST",
        allowed=frozenset({"president"}),
        kwargs=lambda w, c: {"pk": make_meeting(c, opened=True).pk},
    ),
    "meetings:item_remove": Row(
        method="POST", allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_item(c).pk}
    ),
    "meetings:item_move": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_item(c).pk},
        data=lambda w, c: {"direction": "up"},
    ),
    "meetings:item_guest": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_item(c, guest=False).pk},
        data=lambda w, c: {"guest": c.members["guest"].pk},
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
    ),
}
