"""Real SMTP to a local aiosmtpd server: e-mails carry no personal value (docs/security.md #6)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse

from cmer.cases.notifications import ACTION_DUE
from cmer.notifications import kinds
from cmer.notifications.models import Notification
from cmer.notifications.services import notify
from cmer.notifications.tasks import SUBJECT, sweep
from tests.factories import make_case, make_person, make_referral
from tests.factories_exchange import make_transmission

pytestmark = pytest.mark.django_db

CANARIES = {
    "last_name": "Zorglubinovitch",
    "first_name": "Canarielle",
    "birth_iso": "2007-02-13",
    "birth_fr": "13/02/2007",
    "address": "17 impasse du Canari",
    "description": "Canaridescriptionunique",
}


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    try:
        yield recorder
    finally:
        controller.stop()


def test_no_personal_value_reaches_any_email(world, smtp_server):
    cw = world.a
    person = make_person(
        cw.cell,
        last_name=CANARIES["last_name"],
        first_name=CANARIES["first_name"],
        birth_date=date(2007, 2, 13),
        address=CANARIES["address"],
    )
    case = make_case(cw, "reviewed", person=person)
    referral = make_referral(cw, case=case, observations=2, description=CANARIES["description"], urgent=True)
    # A real flow: the coordinator prepares a transmission, the president is notified.
    t = make_transmission(cw, case=case)
    # Every registered kind, each notice pointing at the person's case (its link is the case page).
    case_url = reverse("cases:detail", args=[case.pk])
    everyone = [cw.user(r) for r in ("president", "coordinator", "member", "state_member", "reporter")]
    all_kinds = kinds.all_kinds()
    assert len(all_kinds) >= 10  # every app's kinds are registered at start-up
    for kind in all_kinds:
        notify(recipients=everyone, kind=kind.value, cell=cw.cell)
    Notification.objects.update(target_type="cases.case", target_id=case.pk)
    expected = Notification.objects.filter(email_due=True).count()
    assert expected >= len(all_kinds) * len(everyone)

    counts = sweep()

    assert counts["sent"] == expected and counts["retry"] == 0
    assert len(smtp_server.messages) == expected
    forbidden = [*CANARIES.values(), case.reference, referral.reference, t.reference, case_url]
    forbidden += [o.fact for o in referral.observations.all()]
    kinds_seen = set()
    for rcpt, raw in smtp_server.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(message["Subject"])
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert subject == SUBJECT
        assert reverse("notifications:inbox") in body
        everything = "\n".join([subject, body, raw.decode("utf-8", "replace"), *map(str, message.values())])
        for value in forbidden:
            assert value not in everything, f"personal value {value!r} reached an e-mail to {rcpt}"
        kinds_seen.add(body.split("\n")[2])
    # Each kind has its own fixed line, and that line says nothing about anyone.
    assert len(kinds_seen) == len(all_kinds)
    assert Notification.objects.filter(email_due=True, emailed_at__isnull=True).count() == 0


def test_smtp_refusal_is_retried_not_lost(world, smtp_server, settings):
    class Refuser(Recorder):
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "451 Try again later"

    refuse_port = free_port()
    refuser = Controller(Refuser(), hostname="127.0.0.1", port=refuse_port)
    refuser.start()
    good_port = settings.EMAIL_PORT
    try:
        settings.EMAIL_PORT = refuse_port
        (n,) = notify(recipients=[world.a.user("coordinator")], kind=ACTION_DUE)
        assert sweep() == {"sent": 0, "skipped": 0, "retry": 1}
        n.refresh_from_db()
        assert n.emailed_at is None and n.email_attempts == 1
    finally:
        refuser.stop()
    settings.EMAIL_PORT = good_port
    assert sweep() == {"sent": 1, "skipped": 0, "retry": 0}
    assert len(smtp_server.messages) == 1
