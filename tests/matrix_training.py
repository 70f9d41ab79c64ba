from django.utils import timezone

from tests.factories_training import (
    ensure_draft,
    make_certification,
    make_provider,
    make_session,
    session_with_attendee,
)
from tests.matrix import ALL, Row

T = frozenset({"trainer"})
C = frozenset({"coordinator"})
TC = T | C


def _caveat(w, c):  # type: ignore[no-untyped-def]
    return {"kind": "caveat", "pk": ensure_draft(c).caveats.first().pk}


ROWS = {
    "training:self_study": Row(allowed=ALL),
    "training:quiz": Row(allowed=ALL),
    "training:draft": Row(allowed=TC),
    "training:draft_create": Row(method="POST", allowed=T),
    "training:draft_indicator": Row(allowed=T),
    "training:draft_domain": Row(allowed=T),
    "training:draft_caveat": Row(allowed=T),
    "training:draft_delete": Row(method="POST", allowed=T, data=_caveat),
    "training:draft_approve": Row(
        method="POST", allowed=C, data=lambda w, c: {"reviewed": "on", "_": ensure_draft(c).pk}
    ),
    "training:sessions": Row(allowed=TC),
    "training:session_create": Row(
        method="POST",
        allowed=T,
        data=lambda w, c: {
            "provider": make_provider().pk,
            "title": "Session",
            "date": "2026-12-01",
            "place": "Mairie",
            "programme": "Faisceau",
            "audience": [c.cell.pk],
        },
    ),
    "training:session_detail": Row(allowed=TC, kwargs=lambda w, c: {"pk": make_session(c).pk}),
    "training:attendance_add": Row(
        method="POST",
        allowed=T,
        kwargs=lambda w, c: {"pk": make_session(c).pk},
        data=lambda w, c: {"attendee": c.members["reporter"].pk},
    ),
    "training:certification_issue": Row(
        method="POST",
        allowed=T,
        kwargs=lambda w, c: {"pk": session_with_attendee(c).pk},
        data=lambda w, c: {"attendee": c.user("reporter").pk, "issued_on": timezone.localdate().isoformat()},
    ),
    "training:certification_revoke": Row(
        method="POST", allowed=T, kwargs=lambda w, c: {"pk": make_certification(c, c.user("member")).pk}
    ),
    "training:expiring": Row(allowed=TC),
    "training:bias_counts": Row(allowed=TC),
}
