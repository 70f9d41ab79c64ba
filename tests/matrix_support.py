from tests.factories_meetings import make_action, make_plan
from tests.matrix import CELL_MANAGERS, Row, audited, to

FOLLOWERS = CELL_MANAGERS | {"member", "state_member"}

ROWS = {
    "support:my_actions": Row(allowed=FOLLOWERS),
    # The plan has an action of each of the member's and the state member's services: both in scope.
    "support:plan": Row(
        allowed=FOLLOWERS,
        kwargs=lambda w, c: {"pk": make_plan(c, services=("svc-member", "svc-state_member")).case_id},
        refused=404,
    ),
    "support:action_add": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_plan(c).case_id},
        data=lambda w, c: {
            "title": "Entretien",
            "service": "svc-member",
            "start_on": "2026-01-05",
            "end_on": "2026-02-05",
        },
        redirect_to=to("support:plan", pk="pk"),
        effect=audited("support.action_assigned"),
        # The member follows this plan (an action of their service): refused by the predicate.
        refused=404,
        refused_for={"member": 403},
    ),
    # An action of the member's service: the state member (another service) gets 404.
    "support:action": Row(
        method="POST",
        allowed=CELL_MANAGERS | {"member"},
        kwargs=lambda w, c: {"pk": make_action(c, "svc-member").pk},
        data=lambda w, c: {"result": "in_progress", "note": "Premier rendez-vous tenu le 3 mars."},
        redirect_to=to("support:action", pk="pk"),
        effect=audited("support.action_updated"),
        refused=404,
    ),
}
