"""Notifications: per-user inbox, e-mail preference, delivery claims, retries, idempotence."""

from __future__ import annotations

import html
import io
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cmer.audit.models import AuditEvent
from cmer.cases.notifications import ACTION_DUE
from cmer.core.public_ids import public_id
from cmer.meetings.notifications import MEETING_CONVENED
from cmer.notifications import kinds
from cmer.notifications.models import Notification
from cmer.notifications.services import notify
from cmer.notifications.tasks import SUBJECT, deliver_notification_emails, deliver_one, pending_ids, sweep
from tests.factories_exchange import make_notification
from tests.personas import login, persona_client

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_notify_creates_one_inbox_entry_per_user_and_an_email_only_for_those_who_want_it(world):
    coordinator, president = world.a.user("coordinator"), world.a.user("president")
    president.email_notifications = False
    president.save()
    created = notify(
        recipients=[coordinator, coordinator, president],
        kind=ACTION_DUE,
        cell=world.a.cell,
    )
    assert len(created) == 2
    assert Notification.objects.get(recipient=coordinator).email_due is True
    assert Notification.objects.get(recipient=president).email_due is False


def test_notify_enqueues_the_email_task_only_when_the_transaction_commits(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        created = notify(recipients=[world.a.user("coordinator")], kind=MEETING_CONVENED)
        assert not DBTaskResult.objects.exists()
    row = DBTaskResult.objects.get()
    assert row.task_path == "cmer.notifications.tasks.deliver_notification_emails"
    assert row.args_kwargs["args"] == [[created[0].pk]]


def test_no_email_task_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                notify(recipients=[world.a.user("coordinator")], kind=MEETING_CONVENED)
                raise RuntimeError("the caller failed")
        except RuntimeError:
            pass
    assert not DBTaskResult.objects.exists()
    assert not Notification.objects.exists()


def test_every_apps_kinds_are_registered_by_that_app(world):
    registered = {k.value: k.target_type for k in kinds.all_kinds()}
    assert registered["action_due"] == "cases.action"
    assert registered["transmission_to_approve"] == "exchange.transmission"
    assert registered["meeting_convened"] == "meetings.meeting"
    assert registered["charter_to_accept"] == "accounts.charter"
    assert {"urgent_referral", "certification_expiring", "rights_request_due"} <= registered.keys()


def test_an_unregistered_kind_or_a_target_of_another_model_is_refused(world):
    user = world.a.user("member")
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notify(recipients=[user], kind="nobody_registered_this")
    with pytest.raises(ValueError, match=r"points at a cases\.action"):
        notify(recipients=[user], kind=ACTION_DUE, target=world.a.cell)
    assert not Notification.objects.exists()


def test_inbox_lists_only_my_notifications_of_the_current_cell(world):
    mine = make_notification(world.a, "member")
    make_notification(world.a, "coordinator")
    other_cell = Notification.objects.create(
        recipient=world.a.user("member"), cell=world.b.cell, kind="action_due"
    )
    no_cell = Notification.objects.create(recipient=world.a.user("member"), kind="action_due")
    body = persona_client(world, "member").get(reverse("notifications:inbox")).content.decode()
    # Same kind, same (absent) target: one line for both, opened through the newest, with its count.
    assert reverse("notifications:notification_open", kwargs={"pk": no_cell.pk}) in body
    assert reverse("notifications:notification_open", kwargs={"pk": mine.pk}) not in body
    assert reverse("notifications:notification_open", kwargs={"pk": other_cell.pk}) not in body
    assert body.count("/ouvrir/") == 1
    assert "2 fois" in body


def test_inbox_get_never_marks_anything_read(world):
    n = make_notification(world.a, "member")
    persona_client(world, "member").get(reverse("notifications:inbox"))
    n.refresh_from_db()
    assert n.read_at is None


def test_open_marks_read_through_an_audited_service_and_redirects_to_the_targets_page(world):
    n = make_notification(world.a, "member", target_id=4242)
    client = persona_client(world, "member")
    response = client.post(reverse("notifications:notification_open", kwargs={"pk": n.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("support:action", kwargs={"pk": 4242})
    n.refresh_from_db()
    assert n.read_at is not None
    event = AuditEvent.objects.get(action="notification.read")
    assert (event.actor_id, event.target_id) == (world.a.user("member").pk, str(n.pk))
    client.post(reverse("notifications:notification_open", kwargs={"pk": n.pk}))  # already read
    assert AuditEvent.objects.filter(action="notification.read").count() == 1


def test_open_of_someone_elses_notification_is_404_and_unchanged(world):
    n = make_notification(world.a, "coordinator")
    response = persona_client(world, "member").post(
        reverse("notifications:notification_open", kwargs={"pk": n.pk})
    )
    assert response.status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_a_notice_without_target_or_of_an_unknown_kind_opens_the_inbox(world):
    client = persona_client(world, "member")
    untargeted = make_notification(world.a, "member")
    unknown = make_notification(world.a, "member", kind="no_longer_registered", target_id=1)
    # An action-due notice whose target is not an action: no link is guessed from the bare id.
    mismatched = make_notification(world.a, "member", target_id=1)
    Notification.objects.filter(pk=mismatched.pk).update(target_type="meetings.meeting")
    for n in (untargeted, unknown, mismatched):
        response = client.post(reverse("notifications:notification_open", kwargs={"pk": n.pk}))
        assert response.status_code == 302 and response["Location"] == reverse("notifications:inbox")


def test_email_preference_turns_off_email_but_not_the_inbox(world):
    client = persona_client(world, "member")
    user = world.a.user("member")
    response = client.post(reverse("notifications:preferences"), {})  # unchecked box
    assert response.status_code == 302 and response["Location"] == reverse("notifications:preferences")
    user.refresh_from_db()
    assert user.email_notifications is False
    event = AuditEvent.objects.get(action="notifications.preferences")
    assert (event.actor_id, event.data) == (user.pk, {"email": False})
    (n,) = notify(recipients=[user], kind=ACTION_DUE, cell=world.a.cell)
    assert n.email_due is False
    assert "Action arrivant" in html.unescape(client.get(reverse("notifications:inbox")).content.decode())
    client.post(reverse("notifications:preferences"), {"email_notifications": "on"})
    user.refresh_from_db()
    assert user.email_notifications is True


def _due(world, role="coordinator", kind=ACTION_DUE):
    (n,) = notify(recipients=[world.a.user(role)], kind=kind, cell=world.a.cell)
    return n


def test_delivery_sends_once_and_marks(world):
    n = _due(world)
    assert deliver_notification_emails.call([n.pk]) == {"sent": 1, "skipped": 0, "retry": 0}
    assert deliver_notification_emails.call([n.pk]) == {"sent": 0, "skipped": 1, "retry": 0}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == SUBJECT
    assert message.to == [world.a.user("coordinator").email]
    assert "/notifications/" in message.body
    assert message.extra_headers["Message-ID"].startswith(f"<notification-{public_id('notification', n.pk)}@")
    # The token may contain the pk's digits by chance (base32 has 2-7): the pk itself is not the id.
    assert f"<notification-{n.pk}@" not in message.extra_headers["Message-ID"]
    n.refresh_from_db()
    assert n.emailed_at is not None and n.email_attempts == 1


def test_a_claim_held_by_a_live_worker_is_not_taken(world):
    n = _due(world)
    Notification.objects.filter(pk=n.pk).update(email_claimed_at=timezone.now())
    assert deliver_one(n.pk) == "skipped"
    assert pending_ids() == []
    assert mail.outbox == []


def test_a_dead_workers_claim_is_taken_over_after_its_lease(world, settings):
    settings.CMER_EMAIL_CLAIM_SECONDS = 60
    n = _due(world)
    Notification.objects.filter(pk=n.pk).update(
        email_claimed_at=timezone.now() - timedelta(seconds=61), email_attempts=1
    )
    call_command("send_pending_emails")
    n.refresh_from_db()
    assert n.emailed_at is not None and n.email_attempts == 2
    assert len(mail.outbox) == 1


def test_preference_turned_off_after_the_notice_is_respected(world):
    n = _due(world)
    user = world.a.user("coordinator")
    user.email_notifications = False
    user.save()
    assert deliver_one(n.pk) == "skipped"
    n.refresh_from_db()
    assert n.email_due is False and n.emailed_at is None
    assert mail.outbox == []


def test_a_failed_send_releases_the_claim_and_schedules_a_retry(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    n = _due(world)
    assert deliver_notification_emails.call([n.pk]) == {"sent": 0, "skipped": 0, "retry": 1}
    n.refresh_from_db()
    assert n.emailed_at is None and n.email_claimed_at is None and n.email_attempts == 1
    retry = DBTaskResult.objects.get(task_path="cmer.notifications.tasks.deliver_notification_emails")
    assert retry.args_kwargs["args"] == [[n.pk]]
    assert retry.run_after > timezone.now() + timedelta(seconds=30)
    # The server is back: the retry (or the sweep) delivers it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert sweep() == {"sent": 1, "skipped": 0, "retry": 0}
    assert len(mail.outbox) == 1


def test_gives_up_after_max_attempts_but_keeps_the_inbox(world):
    n = _due(world)
    Notification.objects.filter(pk=n.pk).update(email_attempts=5)
    assert deliver_one(n.pk) == "skipped"
    assert Notification.objects.filter(pk=n.pk, read_at__isnull=True).exists()


def test_inbox_is_reachable_without_email(world):
    user = world.a.user("reporter")
    user.email_notifications = False
    user.save()
    _due(world, "reporter")
    client = login(persona_client(world, "reporter"), user, world.a.members["reporter"])
    assert client.get(reverse("notifications:inbox")).status_code == 200


# --- Scheduled reminders (action due, charter to accept) ------------------------------------------


def _action(world, *, service="svc-member", due_in_days=3, result="planned"):
    from cmer.cases.models import Action, SupportPlan
    from tests.factories import make_case

    today = timezone.localdate()
    case = make_case(world.a, "support")
    plan = SupportPlan.objects.create(case=case, started_on=today, consent_on=today)
    return Action.objects.create(
        case=case,
        plan=plan,
        service=service,
        title="Rendez-vous mission locale",
        start_on=today,
        end_on=today + timedelta(days=due_in_days),
        result=result,
    )


def test_action_due_reminds_the_service_once(world):
    from cmer.cases.notifications import action_due_notify

    due = _action(world)
    _action(world, due_in_days=30)  # not yet
    _action(world, result="done")  # finished
    assert action_due_notify() == 1
    assert action_due_notify() == 0
    n = Notification.objects.get(kind=ACTION_DUE)
    # Once per action, not once per person: another action of the same service is reminded too.
    other = _action(world, due_in_days=5)
    assert action_due_notify() == 1
    assert Notification.objects.about_object(other).get().recipient == world.a.user("member")
    assert n.recipient == world.a.user("member")
    assert (n.target_type, n.target_id) == ("cases.action", due.pk)
    assert n.link == reverse("support:action", kwargs={"pk": due.pk})


def test_action_of_a_service_without_member_reminds_the_coordinator(world):
    from cmer.cases.notifications import action_due_notify

    _action(world, service="Mission locale")
    assert action_due_notify() == 1
    assert Notification.objects.get(kind=ACTION_DUE).recipient == world.a.user("coordinator")


def test_charter_to_accept_reminds_once_per_version(world):
    from cmer.accounts.models import Charter, CharterAcceptance
    from cmer.notifications.reminders import charter_to_accept_notify

    assert charter_to_accept_notify() == 0  # everyone accepted v1
    Charter.objects.create(
        cell=world.a.cell, version=2, text="Charte v2", effective_date=timezone.localdate()
    )
    CharterAcceptance.objects.create(
        membership=world.a.members["president"], charter=world.a.cell.current_charter()
    )
    sent = charter_to_accept_notify()
    assert sent == len(world.a.members) - 1
    assert charter_to_accept_notify() == 0
    assert not Notification.objects.filter(recipient=world.a.user("president")).exists()
    assert not Notification.objects.filter(cell=world.b.cell).exists()


def test_notify_reminders_command_runs_all_and_is_idempotent(world):
    _action(world)
    out1, out2 = io.StringIO(), io.StringIO()
    call_command("notify_reminders", stdout=out1)
    call_command("notify_reminders", stdout=out2)
    assert "action_due=1" in out1.getvalue().split()
    assert sorted(out2.getvalue().split()) == ["action_due=0", "charter_to_accept=0", "feedback_overdue=0"]


def test_daily_reminders_task_twice_is_one_clean_run(world, settings):
    from cmer.notifications.tasks import send_daily_reminders
    from tests.factories_exchange import age_transmission, make_transmission

    settings.CMER_FEEDBACK_DELAY_DAYS = 30
    age_transmission(make_transmission(world.a, sent=True), 31)
    _action(world)
    first = send_daily_reminders.call()
    assert first == {"feedback_overdue": 1, "action_due": 1, "charter_to_accept": 0}
    assert send_daily_reminders.call() == {"feedback_overdue": 0, "action_due": 0, "charter_to_accept": 0}
