from tests.factories_meetings import make_item, make_meeting
from tests.matrix import CELL_MANAGERS, Row

STATS = frozenset({"president", "coordinator", "member", "state_member", "dpo"})
CONVENED = CELL_MANAGERS | {"member", "state_member", "guest"}


def _meeting(w, c):  # type: ignore[no-untyped-def]
    """A convened meeting of cell c with one item; its guest is invited to that item."""
    meeting = make_meeting(c)
    make_item(c, meeting)
    return {"pk": meeting.pk}


ROWS = {
    "stats:index": Row(allowed=STATS),
    "stats:csv": Row(allowed=STATS),
    "stats:annual_report_pdf": Row(allowed=STATS),
    "stats:meeting_convocation_pdf": Row(allowed=CONVENED, kwargs=_meeting),
    "stats:meeting_agenda_pdf": Row(allowed=CONVENED, kwargs=_meeting),
    "stats:meeting_minutes_pdf": Row(allowed=CELL_MANAGERS, kwargs=_meeting),
}
