"""Demo training data (fake): a provider, its trainers, one past session per cell, certifications.

Miramas' reporter and member are certified; Istres' reporter holds a certification that expires
in three weeks (it shows in the expiring list and gets the 30-day notice); Istres' member has
none, so the certification gate can be seen at work.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role

if TYPE_CHECKING:
    from faker import Faker
from cmer.training.models import (
    Attendance,
    CatalogueVersion,
    Certification,
    Provider,
    Trainer,
    TrainingSession,
)

PROVIDER = "Institut de prévention Provence (fictif)"


def _certify(
    session: TrainingSession, membership: Membership, trainer: Membership, *, expires_in: int
) -> None:
    Attendance.objects.get_or_create(
        session=session, user=membership.user, defaults={"cell": membership.cell, "recorded_by": trainer}
    )
    issued = session.date + timedelta(days=1)
    Certification.objects.get_or_create(
        session=session,
        user=membership.user,
        defaults={
            "cell": membership.cell,
            "issued_on": issued,
            "expires_on": timezone.localdate() + timedelta(days=expires_in),
            "issued_by": trainer,
        },
    )


def seed(faker: Faker) -> None:
    provider, _ = Provider.objects.get_or_create(
        name=PROVIDER, defaults={"contact_email": "contact@prevention-provence.demo.cmer.test"}
    )
    today = timezone.localdate()
    for cell in Cell.objects.filter(code__in=["MIR", "IST"]):
        members = {m.role: m for m in Membership.objects.active().filter(cell=cell)}
        trainer = members.get(Role.TRAINER)
        if trainer is None:
            continue
        Trainer.objects.get_or_create(membership=trainer, defaults={"provider": provider})
        session, created = TrainingSession.objects.get_or_create(
            title=f"Repérer le faisceau d'indicateurs — {cell.name}",
            defaults={
                "provider": provider,
                "date": today - timedelta(days=60),
                "place": f"Hôtel de ville de {cell.name}, salle du conseil",
                "programme": "Le faisceau d'indicateurs et ses mises en garde ; rédiger un fait observé ; "
                "cas pratiques ; le circuit du signalement.",
                "catalogue_version": CatalogueVersion.objects.current(),
                "created_by": trainer,
            },
        )
        if created:
            session.audience.add(cell)
        if cell.code == "MIR":
            for role in (Role.REPORTER, Role.MEMBER):
                if role in members:
                    _certify(session, members[role], trainer, expires_in=670)
        elif Role.REPORTER in members:
            _certify(session, members[Role.REPORTER], trainer, expires_in=21)
