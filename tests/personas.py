"""Personas in two cells (every role), a platform admin and an outsider, for every test.

The world is committed once per test database (tests/conftest.py) and fetched afresh by the
`world` fixture; each test's changes are rolled back (after a transactional test, the flush puts
the same rows back: tests/audit_flush.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership, TOTPDevice, User
from cmer.accounts.roles import Role

PASSWORD = "correct horse battery staple"
ROLES = [r.value for r in Role]


@cache
def password_hash() -> str:
    """Argon2 is slow by design: hash the personas' password once per test session."""
    return make_password(PASSWORD)


def make_user(email: str, *, staff: bool = False, first: str = "Camille", last: str = "Martin") -> User:
    user = User.objects.create(
        email=email,
        password=password_hash(),
        first_name=first,
        last_name=last,
        is_staff=staff,
        is_superuser=staff,
    )
    TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return user


def make_cell(code: str, name: str, insee: str) -> Cell:
    cell = Cell.objects.create(
        name=name, code=code, insee_code=insee, department="13", prefecture="Préfecture", operator=name
    )
    Charter.objects.create(cell=cell, version=1, text="Charte v1", effective_date=date(2024, 1, 1))
    return cell


def make_membership(
    user: User, cell: Cell, role: str, *, service: str = "", accept: bool = True
) -> Membership:
    membership = Membership.objects.create(
        user=user,
        cell=cell,
        role=role,
        service=service or f"svc-{role}",
        start_date=timezone.localdate() - timedelta(days=30),
    )
    if accept:
        CharterAcceptance.objects.create(membership=membership, charter=cell.current_charter())
    return membership


@dataclass
class CellWorld:
    cell: Cell
    members: dict[str, Membership] = field(default_factory=dict)

    def user(self, role: str) -> User:
        return self.members[role].user


@dataclass
class World:
    a: CellWorld
    b: CellWorld
    staff: User
    outsider: User

    def persona(self, name: str) -> tuple[User, Membership | None]:
        """'staff', 'outsider' or a role name (in cell A)."""
        if name == "staff":
            return self.staff, None
        if name == "outsider":
            return self.outsider, None
        return self.a.user(name), self.a.members[name]

    def ids(self) -> WorldIds:
        return WorldIds(
            cells=(self.a.cell.pk, self.b.cell.pk),
            members=tuple({role: m.pk for role, m in cw.members.items()} for cw in (self.a, self.b)),
            staff=self.staff.pk,
            outsider=self.outsider.pk,
        )


@dataclass(frozen=True)
class WorldIds:
    """Primary keys of a committed world, enough to fetch it again in a few queries."""

    cells: tuple[int, int]
    members: tuple[dict[str, int], ...]
    staff: int
    outsider: int


def fetch_world(ids: WorldIds) -> World:
    """Fresh instances of a committed world: 3 queries instead of building it (about 90)."""
    cells = Cell.objects.in_bulk(ids.cells)
    pks = [pk for members in ids.members for pk in members.values()]
    memberships = Membership.objects.select_related("user").in_bulk(pks)
    users = User.objects.in_bulk([ids.staff, ids.outsider])
    worlds = []
    for cell_pk, members in zip(ids.cells, ids.members, strict=True):
        cw = CellWorld(cells[cell_pk])
        for role, pk in members.items():
            membership = memberships[pk]
            membership.cell = cw.cell  # one instance per cell, as build_world() hands out
            cw.members[role] = membership
        worlds.append(cw)
    return World(worlds[0], worlds[1], users[ids.staff], users[ids.outsider])


def build_world() -> World:
    cells = {}
    for code, name, insee in (("AAA", "Alpha-ville", "13001"), ("BBB", "Beta-ville", "13002")):
        cell = make_cell(code, name, insee)
        cw = CellWorld(cell)
        for role in ROLES:
            user = make_user(f"{role}.{code.lower()}@test.cmer", first=role.title(), last=code)
            cw.members[role] = make_membership(user, cell, role)
        cells[code] = cw
    staff = make_user("staff@test.cmer", staff=True)
    outsider = make_user("outsider@test.cmer")
    return World(cells["AAA"], cells["BBB"], staff, outsider)


def _signed_in(client: Client, user: User, **extra: object) -> Client:
    """A new session for `user`, written in one INSERT, and its cookie on the client.

    The session holds what django.contrib.auth.login() puts there, without firing its signal: the
    audit event, django-axes' access log and `last_login` of a real sign-in are asserted by
    tests/test_auth.py through the views, and cost about ten queries per test client here.
    """
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["cmer_login_at"] = time.time()
    session.update(extra)
    session.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    return client


def login(client: Client, user: User, membership: Membership | None = None) -> Client:
    """A fully signed-in session: password done, second factor verified, cell chosen."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    extra: dict[str, object] = {DEVICE_ID_SESSION_KEY: device.persistent_id}
    if membership is not None:
        extra["cmer_membership"] = membership.pk
    return _signed_in(client, user, **extra)


def password_only_login(client: Client, user: User) -> Client:
    return _signed_in(client, user)


def persona_client(world: World, name: str) -> Client:
    user, membership = world.persona(name)
    return login(Client(), user, membership)
