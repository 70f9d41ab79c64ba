from cmer.cases.models import Case
from tests.factories import make_case
from tests.matrix import CELL_MANAGERS, Row, audited, both, field_is, to

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
        data=lambda w, c: {"reason": "no_further_elements", "note": ""},
        redirect_to=to("cases:detail", pk="pk"),
        effect=both(field_is(Case, "state", "closed"), audited("case.close")),
        refused=404,
    ),
    "cases:archive": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="closed").pk},
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
}
