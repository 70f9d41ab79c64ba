"""Rights requests (GDPR art. 12–21): register, legal deadline, closed-list outcome, reminders."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cmer.audit.models import AuditEvent
from cmer.notifications.models import Notification
from cmer.privacy.models import RightsRequest, RightsStatus
from cmer.privacy.retention import add_months
from cmer.privacy.services import RIGHTS_DUE_KIND, rights_reminders_send
from tests.factories_privacy import make_rights_request
from tests.personas import persona_client

pytestmark = pytest.mark.django_db


def test_deadline_is_one_month_after_receipt_including_month_ends():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


def test_dpo_registers_a_request_with_its_legal_deadline(world):
    received = timezone.localdate() - dt.timedelta(days=3)
    client = persona_client(world, "dpo")
    data = {
        "reference": "COUR-2026/014",
        "kind": "erasure",
        "received_on": received.isoformat(),
        "cell": world.b.cell.pk,
    }
    assert client.post(reverse("privacy:rights_create"), data).status_code == 302
    item = RightsRequest.objects.get()
    assert (item.cell, item.deadline, item.status) == (
        world.a.cell,
        add_months(received, 1),
        RightsStatus.OPEN,
    )
    event = AuditEvent.objects.get(action="rights.create")
    assert (event.target_id, event.data) == (str(item.pk), {"kind": "erasure"})


@pytest.mark.parametrize(
    "bad",
    [
        {"reference": "Jean Dupont"},  # a name is not a reference: spaces refused
        {"reference": "x" * 31},
        {"reference": "A\x00B"},
        {"kind": "portability"},
        {"received_on": "2999-01-01"},
        {"received_on": "31/02/2026"},
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world, bad):
    data = {"reference": "C-1", "kind": "access", "received_on": timezone.localdate().isoformat(), **bad}
    response = persona_client(world, "dpo").post(reverse("privacy:rights_create"), data)
    assert response.status_code == 400
    assert not RightsRequest.objects.exists()


def test_closing_needs_an_outcome_from_the_closed_list(world):
    item = make_rights_request(world.a)
    client = persona_client(world, "dpo")
    url = reverse("privacy:rights_update", kwargs={"pk": item.pk})
    client.post(url, {"status": "closed", "outcome": ""})
    client.post(url, {"status": "closed", "outcome": "free text about the person"})
    item.refresh_from_db()
    assert item.status == RightsStatus.OPEN
    client.post(url, {"status": "closed", "outcome": "granted"})
    item.refresh_from_db()
    assert (item.status, item.outcome, item.closed_on) == ("closed", "granted", timezone.localdate())
    client.post(url, {"status": "in_progress", "outcome": ""})  # a closed request stays closed
    item.refresh_from_db()
    assert item.status == RightsStatus.CLOSED


def test_a_dpo_cannot_touch_another_cells_request(world):
    item = make_rights_request(world.b)
    response = persona_client(world, "dpo").post(
        reverse("privacy:rights_update", kwargs={"pk": item.pk}), {"status": "closed", "outcome": "granted"}
    )
    assert response.status_code == 404
    item.refresh_from_db()
    assert item.status == RightsStatus.OPEN


def test_reminder_goes_to_the_cells_dpo_seven_days_before_the_deadline_once(world):
    today = timezone.localdate()
    due_soon = make_rights_request(world.a, received_on=today - dt.timedelta(days=25))
    due_soon.deadline = today + dt.timedelta(days=7)
    due_soon.save()
    later = make_rights_request(world.a, received_on=today)  # deadline in a month
    closed = make_rights_request(
        world.a, received_on=today - dt.timedelta(days=30), status="closed", outcome="no_data"
    )
    assert rights_reminders_send(today=today) == 1
    notices = Notification.objects.filter(kind=RIGHTS_DUE_KIND)
    assert [(n.recipient, n.cell, n.target_id, n.link) for n in notices] == [
        (world.a.user("dpo"), world.a.cell, due_soon.pk, "/donnees/droits/")
    ]
    assert rights_reminders_send(today=today) == 0  # once per request
    out = StringIO()
    call_command("rights_reminders", stdout=out)
    assert "reminders sent: 0" in out.getvalue()
    later.refresh_from_db()
    closed.refresh_from_db()
    assert later.reminded_at is None and closed.reminded_at is None
    assert rights_reminders_send(today=later.deadline - dt.timedelta(days=7)) == 1


def test_rights_page_marks_overdue_requests(world):
    overdue = make_rights_request(world.a, received_on=timezone.localdate() - dt.timedelta(days=40))
    body = persona_client(world, "dpo").get(reverse("privacy:rights")).content.decode()
    assert overdue.reference in body and "dépassée" in body
