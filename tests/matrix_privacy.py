from django.utils import timezone

from cmer.privacy.models import RightsRequest
from tests.factories import make_case
from tests.factories_privacy import make_report, make_rights_request
from tests.matrix import CELL_MANAGERS, Row, audited, field_is

DPO = frozenset({"dpo"})
COORDINATOR = frozenset({"coordinator"})
POLICY = {
    "dismissed_days": 60,
    "archive_years": 3,
    "young_age_limit": 25,
    "young_max_age": 25,
    "adult_cap_years": 5,
    "audit_months": 12,
}

ROWS = {
    "privacy:dpo": Row(allowed=DPO),
    "privacy:audit_search": Row(allowed=DPO),
    "privacy:charters": Row(allowed=DPO),
    "privacy:accounts": Row(allowed=DPO),
    "privacy:purge_reports": Row(allowed=DPO),
    "privacy:purge_report": Row(allowed=DPO, kwargs=lambda w, c: {"pk": make_report(c).pk}, refused=404),
    "privacy:register": Row(allowed=DPO),
    "privacy:register_md": Row(allowed=DPO),
    "privacy:register_pdf": Row(allowed=DPO),
    "privacy:dpia": Row(allowed=DPO),
    "privacy:dpia_md": Row(allowed=DPO),
    "privacy:dpia_pdf": Row(allowed=DPO),
    "privacy:rights": Row(allowed=DPO),
    "privacy:rights_create": Row(
        method="POST",
        allowed=DPO,
        data=lambda w, c: {
            "reference": "C-1",
            "kind": "erasure",
            "received_on": timezone.localdate().isoformat(),
        },
        redirect_to="privacy:rights",
        effect=lambda w, c, kw: RightsRequest.objects.filter(reference="C-1").exists(),
    ),
    "privacy:rights_update": Row(
        method="POST",
        allowed=DPO,
        kwargs=lambda w, c: {"pk": make_rights_request(c).pk},
        data=lambda w, c: {"status": "in_progress", "outcome": ""},
        redirect_to="privacy:rights",
        effect=field_is(RightsRequest, "status", "in_progress"),
        refused=404,
    ),
    "privacy:retention": Row(allowed=frozenset({"dpo", "coordinator", "president"})),
    "privacy:retention_edit": Row(
        method="POST",
        allowed=COORDINATOR,
        data=lambda w, c: POLICY,
        redirect_to="privacy:retention",
        effect=audited("retention.policy_update"),
    ),
    "privacy:retention_validate": Row(
        method="POST",
        allowed=DPO,
        redirect_to="privacy:retention",
        effect=audited("retention.policy_validate"),
    ),
    "privacy:purge_start": Row(
        method="POST", allowed=COORDINATOR, redirect_to="privacy:retention", effect=audited("purge.request")
    ),
    "privacy:rights_extract": Row(
        method="POST",
        allowed=DPO,
        kwargs=lambda w, c: {"pk": make_rights_request(c, kind="access").pk},
        data=lambda w, c: {"last_name": "Inconnu", "first_name": "Nul", "birth_date": "2008-01-02"},
        redirect_to="privacy:rights",
        effect=audited("rights.access_extract"),
        refused=404,
    ),
    "privacy:rectify": Row(
        allowed=CELL_MANAGERS, kwargs=lambda w, c: {"pk": make_case(c, state="support").pk}, refused=404
    ),
    "privacy:erase": Row(
        allowed=COORDINATOR,
        kwargs=lambda w, c: {"pk": make_case(c, state="support").pk},
        refused=404,
        refused_for={"president": 403},
    ),
    "privacy:information_due": Row(allowed=DPO),
    "privacy:archive_reasons": Row(allowed=DPO),
}
