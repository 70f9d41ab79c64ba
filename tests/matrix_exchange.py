"""Permission-matrix rows of the exchange with the State and of the notification inbox."""

from cmer.exchange.models import ThreatBriefing
from tests.factories_exchange import (
    make_case_with_facts,
    make_notification,
    make_prefect_info,
    make_transmission,
)
from tests.matrix import ALL, CELL_MANAGERS, Row

P_C_S = CELL_MANAGERS | {"state_member"}
C_S = frozenset({"coordinator", "state_member"})


def _new_transmission_data(w, c):  # type: ignore[no-untyped-def]
    return {"recipient": "cnapr", "legal_basis": "protocol", "purpose": "evaluation", "channel": "platform"}


def _case_kwargs(w, c):  # type: ignore[no-untyped-def]
    case = make_case_with_facts(c)
    return {"case_pk": case.pk}


def _briefing(w, c):  # type: ignore[no-untyped-def]
    b = ThreatBriefing.objects.create(
        cell=c.cell, scheduled_on="2026-01-15", scheduled_by=c.members["president"]
    )
    return {"pk": b.pk}


ROWS = {
    "exchange:transmissions": Row(allowed=P_C_S),
    "exchange:transmission_create": Row(allowed=CELL_MANAGERS, kwargs=_case_kwargs),
    # Prepared by the coordinator: only the president may approve it (302 back to the detail).
    "exchange:transmission_detail": Row(
        allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_transmission(c).pk}
    ),
    "exchange:transmission_approve": Row(
        method="POST", allowed=frozenset({"president"}), kwargs=lambda w, c: {"pk": make_transmission(c).pk}
    ),
    "exchange:transmission_acknowledge": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_transmission(c, sent=True).pk},
        data=lambda w, c: {"on": "2026-01-01"},
    ),
    "exchange:feedback_record": Row(
        allowed=C_S, kwargs=lambda w, c: {"pk": make_transmission(c, sent=True).pk}
    ),
    "exchange:prefect_info_list": Row(allowed=P_C_S),
    "exchange:prefect_info_create": Row(allowed=C_S),
    # Recorded by the coordinator: a State member who is not its author gets 404.
    "exchange:prefect_info_detail": Row(
        allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_prefect_info(c).pk}
    ),
    "exchange:briefings": Row(allowed=CELL_MANAGERS),
    "exchange:briefing_log": Row(
        method="POST", allowed=CELL_MANAGERS, kwargs=_briefing, data=lambda w, c: {"held": "no"}
    ),
    "notifications:inbox": Row(allowed=ALL),
    # A notification is its recipient's only (here the coordinator's).
    "notifications:notification_open": Row(
        method="POST", allowed=frozenset({"coordinator"}), kwargs=lambda w, c: {"pk": make_notification(c).pk}
    ),
    "notifications:preferences": Row(allowed=ALL),
}
