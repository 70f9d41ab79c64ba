from datetime import date

from django.urls import reverse
from django.utils import timezone

from cmer.cases.models import Case
from cmer.core.public_ids import public_id
from tests.factories import make_case, make_person
from tests.matrix import CELL_MANAGERS, Row, audited, both, field_is, to
from tests.personas import CellWorld

ROWS = {
    "cases:list": Row(allowed=CELL_MANAGERS),
    "cases:queue": Row(allowed=CELL_MANAGERS),
    "cases:search": Row(allowed=CELL_MANAGERS),
    "cases:detail": Row(allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_case(c).pk}, refused=404),
    "cases:qualify": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="prequalification").pk},
        data=lambda w, c: {"decision": "to_review", "note": "Plusieurs faits datés concordants."},
        redirect_to="cases:queue",
        effect=field_is(Case, "state", "to_review"),
        refused=404,
    ),
    "cases:take": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c).pk},
        redirect_to=to("cases:qualify", pk="pk"),
        effect=field_is(Case, "state", "prequalification"),
        refused=404,
    ),
    "cases:close": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="reviewed").pk},
        data=lambda w, c: {"reason": "no_further_elements", "note": "", "confirmed": "True"},
        redirect_to=to("cases:detail", pk="pk"),
        effect=both(field_is(Case, "state", "closed"), audited("case.close")),
        refused=404,
    ),
    # Back from the State to the cell's table: an urgent transmission to be examined in a meeting.
    "cases:to_review": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="urgent_transmitted").pk},
        redirect_to=lambda w, c, kw: reverse("cases:detail", kwargs={"pk": kw["pk"]}) + "#reunions",
        effect=both(field_is(Case, "state", "to_review"), audited("case.transition")),
        refused=404,
    ),
    "cases:archive": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="closed").pk},
        data=lambda w, c: {"confirmed": "True"},
        redirect_to="cases:list",
        effect=field_is(Case, "state", "archived"),
        refused=404,
    ),
    "cases:archive_access": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="archived").pk},
        data=lambda w, c: {"reason": "Demande d'exercice du droit d'accès."},
        redirect_to=to("cases:detail", pk="pk"),
        effect=audited("case.archive_access"),
        refused=404,
    ),
    "cases:attach": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": _attach_pair(c).pk},
        data=lambda w, c: {"into": public_id("case", _ATTACH["into"]), "reason": "same_person"},
        redirect_to=lambda w, c, kw: reverse("cases:detail", args=[_ATTACH["into"]]),
        effect=lambda w, c, kw: not Case.objects.filter(pk=kw["pk"]).exists(),
        refused=404,
    ),
    "cases:information": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="support").pk},
        data=lambda w, c: {
            "status": "informed",
            "informed_on": timezone.localdate().isoformat(),
            "method": "letter",
        },
        redirect_to=to("cases:detail", pk="pk"),
        effect=audited("person.information"),
        refused=404,
    ),
    "cases:information_letter": Row(
        allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_case(c, state="support").pk}, refused=404
    ),
}

# The case a new signalement is attached to, created with the new one by _attach_pair.
_ATTACH: dict[str, int] = {}


def _attach_pair(c: CellWorld) -> Case:
    """A known person's open case and a new case about the same person (blind-index match)."""
    known = make_case(
        c, state="support", person=make_person(c.cell, last_name="Matrice", birth_date=date(2008, 1, 2))
    )
    _ATTACH["into"] = known.pk
    return make_case(c, person=make_person(c.cell, last_name="Matrice", birth_date=date(2008, 1, 2)))
