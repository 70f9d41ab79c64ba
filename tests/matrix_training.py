from django.urls import reverse
from django.utils import timezone

from cmer.core.public_ids import public_id
from cmer.training.models import (
    Attendance,
    BiasOverride,
    CatalogueVersion,
    Caveat,
    Certification,
    TrainingSession,
)
from tests.factories_training import (
    ensure_draft,
    make_certification,
    make_provider,
    make_session,
    session_with_attendee,
)
from tests.matrix import ALL, Row, to

T = frozenset({"trainer"})
C = frozenset({"coordinator"})
TC = T | C
# The coordinator sees the cell's sessions and certifications but may not change them (403);
# the other roles do not see them at all (404).
C_403 = {"coordinator": 403}


def _override(w, c):  # type: ignore[no-untyped-def]
    """A text of cell c confirmed despite a warning (codes only)."""
    row = BiasOverride.objects.create(
        cell=c.cell, target_type="cases.case", target_id=1, field="note", codes="police_intelligence"
    )
    return {"pk": row.pk}


def _caveat(w, c):  # type: ignore[no-untyped-def]
    return {"kind": "caveat", "pk": ensure_draft(c).caveats.first().pk}


def _draft(w, c):  # type: ignore[no-untyped-def]
    ensure_draft(c)


def _new_session(w, c, kw):  # type: ignore[no-untyped-def]
    return reverse("training:session_detail", kwargs={"pk": TrainingSession.objects.latest("pk").pk})


def _certification_session(w, c, kw):  # type: ignore[no-untyped-def]
    return reverse(
        "training:session_detail", kwargs={"pk": Certification.objects.get(pk=kw["pk"]).session_id}
    )


ROWS = {
    "training:self_study": Row(allowed=ALL),
    "training:quiz": Row(allowed=ALL),
    "training:draft": Row(allowed=TC),
    "training:draft_create": Row(
        method="POST",
        allowed=T,
        redirect_to="training:draft",
        effect=lambda w, c, kw: CatalogueVersion.objects.draft() is not None,
    ),
    # The editing pages need a draft (without one they send back to the draft page).
    "training:draft_indicator": Row(allowed=T, given=_draft),
    "training:draft_domain": Row(allowed=T, given=_draft),
    "training:draft_caveat": Row(allowed=T, given=_draft),
    "training:draft_delete": Row(
        method="POST",
        allowed=T,
        data=_caveat,
        redirect_to="training:draft",
        effect=lambda w, c, kw: not Caveat.objects.filter(pk=kw["data"]["pk"]).exists(),
    ),
    "training:draft_approve": Row(
        method="POST",
        allowed=C,
        data=lambda w, c: {"reviewed": "on", "_": ensure_draft(c).pk},
        redirect_to="training:self_study",
        effect=lambda w, c, kw: CatalogueVersion.objects.get(pk=kw["data"]["_"]).status == "approved",
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
        redirect_to=_new_session,
        effect=lambda w, c, kw: TrainingSession.objects.filter(title="Session").exists(),
    ),
    "training:session_detail": Row(allowed=TC, kwargs=lambda w, c: {"pk": make_session(c).pk}, refused=404),
    "training:attendance_add": Row(
        method="POST",
        allowed=T,
        kwargs=lambda w, c: {"pk": make_session(c).pk},
        data=lambda w, c: {"attendee": public_id("membership", c.members["reporter"].pk)},
        redirect_to=to("training:session_detail", pk="pk"),
        refused=404,
        refused_for=C_403,
        effect=lambda w, c, kw: Attendance.objects.filter(session_id=kw["pk"]).exists(),
    ),
    "training:certification_issue": Row(
        method="POST",
        allowed=T,
        kwargs=lambda w, c: {"pk": session_with_attendee(c).pk},
        data=lambda w, c: {
            "attendee": public_id("user", c.user("reporter").pk),
            "issued_on": timezone.localdate().isoformat(),
        },
        redirect_to=to("training:session_detail", pk="pk"),
        refused=404,
        refused_for=C_403,
        effect=lambda w, c, kw: Certification.objects.filter(
            session_id=kw["pk"], user=c.user("reporter")
        ).exists(),
    ),
    "training:certification_revoke": Row(
        method="POST",
        allowed=T,
        kwargs=lambda w, c: {"pk": make_certification(c, c.user("member")).pk},
        redirect_to=_certification_session,
        effect=lambda w, c, kw: Certification.objects.get(pk=kw["pk"]).revoked_at is not None,
        refused=404,
        refused_for=C_403,
    ),
    "training:expiring": Row(allowed=TC),
    "training:bias_counts": Row(allowed=TC),
    "training:bias_overrides": Row(allowed=C),
    "training:bias_override_review": Row(
        method="POST",
        allowed=C,
        kwargs=_override,
        redirect_to="training:bias_overrides",
        effect=lambda w, c, kw: BiasOverride.objects.filter(pk=kw["pk"], reviewed_at__isnull=False).exists(),
        refused=404,
    ),
}
