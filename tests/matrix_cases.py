from tests.factories import make_case
from tests.matrix import CELL_MANAGERS, Row

ROWS = {
    "cases:list": Row(allowed=CELL_MANAGERS),
    "cases:queue": Row(allowed=CELL_MANAGERS),
    "cases:search": Row(allowed=CELL_MANAGERS),
    "cases:detail": Row(allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_case(c).pk}),
    "cases:qualify": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="prequalification").pk},
        data=lambda w, c: {"decision": "to_review", "note": "Plusieurs faits datés concordants."},
    ),
    "cases:take": Row(method="POST", allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_case(c).pk}),
    "cases:close": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="reviewed").pk},
        data=lambda w, c: {"reason": "no_further_elements", "note": ""},
    ),
    "cases:archive": Row(
        method="POST", allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_case(c, state="closed").pk}
    ),
    "cases:archive_access": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_case(c, state="archived").pk},
        data=lambda w, c: {"reason": "Demande d'exercice du droit d'accès."},
    ),
}
