"""Builders for training objects in a given cell (used by tests and the permission matrix)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from cmer.training.models import Attendance, Certification, Provider, TrainingSession
from tests.personas import CellWorld


def make_provider(name: str = "Formation Prévention Sud") -> Provider:
    return Provider.objects.get_or_create(name=name)[0]


def make_session(
    c: CellWorld, *, on: date | None = None, title: str = "Repérer le faisceau"
) -> TrainingSession:
    session = TrainingSession.objects.create(
        provider=make_provider(),
        title=title,
        date=on or timezone.localdate() - timedelta(days=1),
        place="Salle du conseil",
        programme="Le faisceau d'indicateurs, les mises en garde, cas pratiques.",
        created_by=c.members["trainer"],
    )
    session.audience.add(c.cell)
    return session


def make_attendance(c: CellWorld, user, session: TrainingSession | None = None) -> Attendance:  # type: ignore[no-untyped-def]
    session = session or make_session(c)
    return Attendance.objects.create(
        session=session, user=user, cell=c.cell, recorded_by=c.members["trainer"]
    )


def make_certification(  # type: ignore[no-untyped-def]
    c: CellWorld, user, *, issued_on: date | None = None, expires_on: date | None = None
) -> Certification:
    attendance = make_attendance(c, user)
    issued = issued_on or timezone.localdate()
    return Certification.objects.create(
        user=user,
        cell=c.cell,
        session=attendance.session,
        issued_on=issued,
        expires_on=expires_on or issued + timedelta(days=730),
        issued_by=c.members["trainer"],
    )


def ensure_draft(c: CellWorld):  # type: ignore[no-untyped-def]
    """The current draft, created by cell c's trainer as a copy of the current version if needed."""
    from cmer.training.services import catalogue_draft_create

    return catalogue_draft_create(by=c.members["trainer"])


def session_with_attendee(c: CellWorld, role: str = "reporter") -> TrainingSession:
    session = make_session(c)
    make_attendance(c, c.user(role), session)
    return session
