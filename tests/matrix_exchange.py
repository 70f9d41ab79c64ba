"""Permission-matrix rows of the exchange with the State and of the notification inbox."""

from django.utils import timezone

from cmer.exchange.models import ThreatBriefing
from cmer.notifications.models import Notification
from tests.factories_exchange import (
    make_case_with_facts,
    make_notification,
    make_prefect_info,
    make_transmission,
)
from tests.matrix import ALL, CELL_MANAGERS, Row, audited, to

P_C_S = CELL_MANAGERS | {"state_member"}
C_S = frozenset({"coordinator", "state_member"})


def _case_kwargs(w, c):  # type: ignore[no-untyped-def]
    case = make_case_with_facts(c)
    return {"case_pk": case.pk}


def _briefing(w, c):  # type: ignore[no-untyped-def]
    b = ThreatBriefing.objects.create(
        cell=c.cell, scheduled_on="2026-01-15", scheduled_by=c.members["president"]
    )
    return {"pk": b.pk}


def _notification_read(w, c, kw):  # type: ignore[no-untyped-def]
    return Notification.objects.get(pk=kw["pk"]).read_at is not None


ROWS = {
    "exchange:transmissions": Row(allowed=P_C_S),
    "exchange:transmission_create": Row(allowed=CELL_MANAGERS, kwargs=_case_kwargs, refused=404),
    # Once sent, the State member reads what was addressed to the State (the restricted page);
    # a draft stays the managers' business (404 to a State member: test_exchange.py).
    "exchange:transmission_detail": Row(
        allowed=P_C_S, kwargs=lambda w, c: {"pk": make_transmission(c, sent=True).pk}, refused=404
    ),
    "exchange:feedback_pending": Row(allowed=C_S),
    # Prepared by the coordinator: only the president may approve it (the coordinator: 403).
    "exchange:transmission_approve": Row(
        method="POST",
        allowed=frozenset({"president"}),
        kwargs=lambda w, c: {"pk": make_transmission(c).pk},
        redirect_to=to("exchange:transmission_detail", pk="pk"),
        effect=audited("transmission.approve"),
        refused=404,
        refused_for={"coordinator": 403},
    ),
    "exchange:transmission_acknowledge": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=lambda w, c: {"pk": make_transmission(c, sent=True).pk},
        # Received today: a date before the sending is refused (the old row's fixed date was).
        data=lambda w, c: {"on": timezone.localdate().isoformat()},
        redirect_to=to("exchange:transmission_detail", pk="pk"),
        effect=audited("transmission.acknowledge"),
        refused=404,
        refused_for={"state_member": 403},
    ),
    "exchange:feedback_record": Row(
        allowed=C_S,
        kwargs=lambda w, c: {"pk": make_transmission(c, sent=True).pk},
        refused=404,
        refused_for={"president": 403},
    ),
    "exchange:prefect_info_list": Row(allowed=P_C_S),
    "exchange:prefect_info_create": Row(allowed=C_S),
    # Recorded by the coordinator: a State member who is not its author gets 404.
    "exchange:prefect_info_detail": Row(
        allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_prefect_info(c).pk}, refused=404
    ),
    "exchange:briefings": Row(allowed=CELL_MANAGERS),
    "exchange:briefing_log": Row(
        method="POST",
        allowed=CELL_MANAGERS,
        kwargs=_briefing,
        data=lambda w, c: {"held": "no"},
        redirect_to="exchange:briefings",
        effect=audited("briefing.log"),
        refused=404,
    ),
    "notifications:inbox": Row(allowed=ALL),
    # A notification is its recipient's only (here the coordinator's); it leads to its link.
    "notifications:notification_open": Row(
        method="POST",
        allowed=frozenset({"coordinator"}),
        kwargs=lambda w, c: {"pk": make_notification(c).pk},
        redirect_to=lambda w, c, kw: Notification.objects.get(pk=kw["pk"]).link,
        effect=_notification_read,
        refused=404,
    ),
    "notifications:preferences": Row(allowed=ALL),
    # Every persona of cell A has an unread notice; posting marks the poster's own read, audited.
    "notifications:mark_all_read": Row(
        method="POST",
        allowed=ALL,
        given=lambda w, c: [make_notification(c, role) for role in sorted(ALL)] and None,
        redirect_to="notifications:inbox",
        effect=audited("notification.read_all"),
    ),
}
