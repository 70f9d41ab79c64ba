"""Deterministic fake data at the scales of docs/performance.md (`manage.py generate_scale`).

Bulk inserts (the services would take hours at scale 10), but through the real model fields: the
identity of a person is encrypted by EncryptedTextField and found by the real blind index, and the
audit events are hashed by the chain's own canonical()/compute_hash() from the locked chain head,
so `verify_audit` accepts the result. Generated cells carry an INSEE code in the "99" range (no
French commune has one): that is how a database of generated data is told from a real one.

Same seed, same data (names, dates relative to the day of generation, states, events); only the
database ids and the password salts differ between two runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership, Protocol, TOTPDevice, User
from cmer.accounts.roles import Role
from cmer.audit.chain import canonical, compute_hash
from cmer.audit.models import AuditEvent
from cmer.audit.services import locked_head
from cmer.cases.models import Action, ActionResult, Case, Person, ReferenceCounter, SupportPlan, Transition
from cmer.cases.persons import is_minor, person_name_index
from cmer.cases.states import CloseReason, State
from cmer.core import crypto
from cmer.exchange.models import (
    FeedbackOutcome,
    LegalBasis,
    Purpose,
    Recipient,
    StateFeedback,
    Transmission,
    TransmissionStatus,
)
from cmer.meetings.models import AgendaItem, Attendance, Attendee, Decision, DecisionKind, ItemKind, Meeting
from cmer.referrals.models import Observation, Referral, Source
from cmer.training.models import CatalogueVersion

GENERATED_INSEE_PREFIX = "99"
PASSWORD = "scale-cmer-2026"  # nosec B105 — generated fake accounts only (bench databases)
EMAIL_DOMAIN = "scale.cmer.test"

# Shapes of scale 1 (one département); scale s multiplies every count.
SHAPE = {
    "cells": 13,
    "accounts": 300,
    "persons": 2000,
    "referrals": 5000,
    "meetings": 300,
    "actions": 10000,
    "audit_events": 500_000,
}

# Path of transitions from `received` to each final state (as the services would walk it).
PATHS: dict[str, list[str]] = {
    State.RECEIVED: [],
    State.PREQUALIFICATION: [State.PREQUALIFICATION],
    State.DISMISSED: [State.PREQUALIFICATION, State.DISMISSED],
    State.COMMON_LAW: [State.PREQUALIFICATION, State.COMMON_LAW],
    State.URGENT_TRANSMITTED: [State.PREQUALIFICATION, State.URGENT_TRANSMITTED],
    State.TO_REVIEW: [State.PREQUALIFICATION, State.TO_REVIEW],
    State.REVIEWED: [State.PREQUALIFICATION, State.TO_REVIEW, State.REVIEWED],
    State.SUPPORT: [State.PREQUALIFICATION, State.TO_REVIEW, State.REVIEWED, State.SUPPORT],
    State.WATCH: [State.PREQUALIFICATION, State.TO_REVIEW, State.REVIEWED, State.WATCH],
    State.TRANSMITTED: [State.PREQUALIFICATION, State.TO_REVIEW, State.REVIEWED, State.TRANSMITTED],
    State.CLOSED: [State.PREQUALIFICATION, State.TO_REVIEW, State.REVIEWED, State.SUPPORT, State.CLOSED],
    State.ARCHIVED: [State.PREQUALIFICATION, State.DISMISSED, State.ARCHIVED],
}
# How often each final state occurs (weights): most situations are in the early or followed states.
STATE_WEIGHTS = {
    State.RECEIVED: 6,
    State.PREQUALIFICATION: 8,
    State.DISMISSED: 14,
    State.COMMON_LAW: 10,
    State.URGENT_TRANSMITTED: 3,
    State.TO_REVIEW: 8,
    State.REVIEWED: 5,
    State.SUPPORT: 18,
    State.WATCH: 8,
    State.TRANSMITTED: 6,
    State.CLOSED: 10,
    State.ARCHIVED: 4,
}
FACTS = [
    "Absent aux cours de l'après-midi quatre jours sur cinq depuis la rentrée.",
    "A partagé une vidéo de propagande violente dans le groupe de discussion du club.",
    "A changé trois fois de numéro de téléphone en un mois.",
    "Ne participe plus à aucune activité du quartier depuis deux mois.",
    "A montré à des camarades des photos d'armes en demandant où s'en procurer.",
    "N'est pas rentré au domicile trois nuits cette semaine, sans explication donnée.",
]
SERVICES = ["CCAS", "Mission locale", "Service jeunesse", "Éducation nationale", "Police municipale"]
STATE_SERVICES = ["Préfecture", "Gendarmerie", "Protection judiciaire de la jeunesse"]
# Roles of the first accounts of every cell; the others are members, State members and reporters.
FIRST_ROLES = [r.value for r in Role]
MORE_ROLES = [Role.MEMBER, Role.STATE_MEMBER, Role.REPORTER, Role.REPORTER, Role.GUEST]
# Reads dominate a real trail: the filler events between the writes.
READ_ACTIONS = [
    ("case.read", "cases.case"),
    ("case.read", "cases.case"),
    ("case.read", "cases.case"),
    ("auth.login_password", "accounts.user"),
    ("auth.login_second_factor", "accounts.user"),
    ("meeting.names_read", "meetings.meeting"),
    ("support.plan_read", "cases.supportplan"),
    ("person.search", ""),
]


class GenerationRefused(Exception):
    pass


def counts(scale: float) -> dict[str, int]:
    return {name: max(1, round(value * scale)) for name, value in SHAPE.items()}


def is_generated(cell: Cell) -> bool:
    return cell.insee_code.startswith(GENERATED_INSEE_PREFIX)


def check_database(*, force: bool) -> None:
    """Refuse a database that holds real cells (or already generated ones) unless forced."""
    cells = Cell.objects.values_list("insee_code", flat=True)
    real = [c for c in cells if not c.startswith(GENERATED_INSEE_PREFIX)]
    if real and not force:
        raise GenerationRefused(
            f"This database holds {len(real)} real (non-generated) cell(s): generated data would mix "
            "with real data. Use an empty database, or --force on a disposable copy."
        )
    if len(cells) > len(real) and not force:
        raise GenerationRefused(
            "This database already holds generated cells: use a fresh database, or --force."
        )


@dataclass
class World:
    """What the generation made, kept in memory to build the later parts and the audit trail."""

    now: datetime
    cells: list[Cell] = field(default_factory=list)
    managers: dict[int, list[Membership]] = field(default_factory=dict)  # cell id -> P/C
    members: dict[int, list[Membership]] = field(default_factory=dict)  # cell id -> everyone
    cases: list[Case] = field(default_factory=list)
    events: list[tuple[datetime, int | None, int | None, str, str, str]] = field(default_factory=list)

    def event(self, at: datetime, actor: int | None, cell: int | None, action: str, target: Any) -> None:
        target_type = target._meta.label_lower if target is not None else ""
        self.events.append((at, actor, cell, action, target_type, "" if target is None else str(target.pk)))


Progress = Callable[[str, int], Any]


class Generator:
    def __init__(self, *, scale: float, seed: int, progress: Progress | None = None) -> None:
        from faker import Faker  # development dependency: generated data only

        self.scale = scale
        self.n = counts(scale)
        self.rng = random.Random(seed)  # noqa: S311  # nosec B311 — reproducible fake data, no secret
        self.faker = Faker("fr_FR")
        self.faker.seed_instance(seed)
        self.progress = progress or (lambda label, total: _NullBar())
        self.world = World(now=timezone.now().replace(microsecond=0))

    # -- helpers -------------------------------------------------------------------------------
    def _ago(self, days: float) -> datetime:
        return self.world.now - timedelta(days=days)

    def _bulk(self, model: Any, rows: list[Any], batch: int = 2000) -> list[Any]:
        done: list[Any] = []
        for start in range(0, len(rows), batch):
            done.extend(model.objects.bulk_create(rows[start : start + batch]))
        return done

    # -- steps ---------------------------------------------------------------------------------
    def run(self) -> dict[str, int]:
        with transaction.atomic():
            self.cells_and_accounts()
            self.cases_and_referrals()
            self.meetings()
            self.support()
            self.transmissions()
            events = self.audit_trail()
        figures = {
            "cells": len(self.world.cells),
            "accounts": sum(len(m) for m in self.world.members.values()),
            "persons": len(self.world.cases),
            "referrals": Referral.objects.filter(cell__in=self.world.cells).count(),
            "meetings": Meeting.objects.filter(cell__in=self.world.cells).count(),
            "actions": Action.objects.filter(case__cell__in=self.world.cells).count(),
            "audit_events": events,
        }
        return figures

    def _free_codes(self, count: int) -> list[tuple[str, str]]:
        used_insee = set(Cell.objects.values_list("insee_code", flat=True))
        used_code = set(Cell.objects.values_list("code", flat=True))
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        codes = (f"{a}{b}{c}" for a in "QXZ" + letters for b in letters for c in letters)
        insees = (f"{GENERATED_INSEE_PREFIX}{i:03d}" for i in range(1000))
        out: list[tuple[str, str]] = []
        while len(out) < count:
            insee = next(i for i in insees if i not in used_insee)
            code = next(c for c in codes if c not in used_code)
            out.append((insee, code))
        return out

    def cells_and_accounts(self) -> None:
        n_cells, n_accounts = self.n["cells"], self.n["accounts"]
        per_cell = max(len(FIRST_ROLES), round(n_accounts / n_cells))
        password = make_password(PASSWORD)
        today = timezone.localdate()
        bar = self.progress("cells and accounts", n_cells)
        for index, (insee, code) in enumerate(self._free_codes(n_cells)):
            town = self.faker.city()
            cell = Cell.objects.create(
                name=town[:120],
                insee_code=insee,
                code=code,
                department=f"{13 + index // 13:02d}",
                prefecture="Préfecture (données générées)",
                operator=f"Commune de {town}"[:120],
            )
            self.world.cells.append(cell)
            Protocol.objects.create(
                cell=cell,
                signed_on=date(2024, 3, 15),
                prefet_signatory="Le préfet (données générées)",
                maire_signatory=f"Le maire de {town}"[:150],
                scope="Prévention de la radicalisation : repérage, échanges, suivi.",
                document_reference=f"PROT-{code}-2024",
            )
            charter = Charter.objects.create(
                cell=cell,
                version=1,
                text="Charte de confidentialité (données générées).",
                effective_date=date(2024, 4, 1),
            )
            users = []
            roles = []
            for k in range(per_cell):
                role = FIRST_ROLES[k] if k < len(FIRST_ROLES) else MORE_ROLES[k % len(MORE_ROLES)]
                roles.append(role)
                users.append(
                    User(
                        email=f"{role.replace('_', '-')}.{k}@{code.lower()}.{EMAIL_DOMAIN}",
                        first_name=self.faker.first_name(),
                        last_name=self.faker.last_name(),
                        password=password,
                    )
                )
            users = self._bulk(User, users)
            self._bulk(
                TOTPDevice,
                [
                    TOTPDevice(
                        user=u, name="Générée", key=f"{self.rng.getrandbits(160):040x}", confirmed=True
                    )
                    for u in users
                ],
            )
            memberships = self._bulk(
                Membership,
                [
                    Membership(
                        user=u,
                        cell=cell,
                        role=role,
                        service=self._service(role),
                        start_date=today - timedelta(days=400),
                    )
                    for u, role in zip(users, roles, strict=True)
                ],
            )
            self._bulk(
                CharterAcceptance, [CharterAcceptance(membership=m, charter=charter) for m in memberships]
            )
            self.world.members[cell.pk] = memberships
            self.world.managers[cell.pk] = [
                m for m in memberships if m.role in (Role.PRESIDENT, Role.COORDINATOR)
            ]
            for m in memberships:
                self.world.event(self._ago(400), None, cell.pk, "membership.created", m)
            bar.update(1)
        bar.close()

    def _service(self, role: str) -> str:
        if role == Role.STATE_MEMBER:
            return self.rng.choice(STATE_SERVICES)
        if role in (Role.MEMBER, Role.REPORTER, Role.GUEST):
            return self.rng.choice(SERVICES)
        return ""

    def cases_and_referrals(self) -> None:
        version = CatalogueVersion.objects.current()
        if version is None:
            raise GenerationRefused("No approved catalogue of indicators: run the migrations first.")
        indicators = list(version.indicators.values_list("pk", flat=True))
        n_persons, n_referrals = self.n["persons"], self.n["referrals"]
        cells = self.world.cells
        states = list(STATE_WEIGHTS)
        weights = list(STATE_WEIGHTS.values())
        key_id = crypto.current_key_id()
        bar = self.progress("persons, cases, referrals", n_persons)
        counters: dict[tuple[int, int], int] = {}
        # Persons, then their cases, in chunks (bulk) to keep memory flat at scale 10.
        chunk = 1000
        extra_referrals = max(0, n_referrals - n_persons)
        for start in range(0, n_persons, chunk):
            size = min(chunk, n_persons - start)
            specs = []
            for i in range(size):
                cell = cells[(start + i) % len(cells)]
                birth = self.faker.date_of_birth(minimum_age=12, maximum_age=30)
                last, first = self.faker.last_name(), self.faker.first_name()
                age_days = self.rng.randint(1, 700)
                # The first cases walk every state once, so even a tiny scale has them all.
                state = states[start + i] if start + i < len(states) else self.rng.choices(states, weights)[0]
                if state == State.ARCHIVED:
                    age_days = max(age_days, 400)
                specs.append((cell, birth, last, first, age_days, state))
            persons = self._bulk(
                Person,
                [
                    Person(
                        cell=cell,
                        last_name=last,
                        first_name=first,
                        birth_date=birth.isoformat(),
                        birth_year=birth.year,
                        sex=self.rng.choice("FMX"),
                        address=self.faker.address().replace("\n", ", "),
                        phone=self.faker.phone_number(),
                        situation=self.rng.choice(
                            ["Lycée, seconde", "Collège, 4e", "Sans emploi", "Apprentissage"]
                        ),
                        name_index=person_name_index(last, first, birth),
                        key_id=key_id,
                    )
                    for cell, birth, last, first, _a, _s in specs
                ],
            )
            cases = []
            for person, (cell, birth, _l, _f, age_days, state) in zip(persons, specs, strict=True):
                opened = self._ago(age_days)
                year = opened.year
                counters[(cell.pk, year)] = counters.get((cell.pk, year), 0) + 1
                closed = state in (State.CLOSED, State.ARCHIVED, State.DISMISSED, State.COMMON_LAW)
                cases.append(
                    Case(
                        cell=cell,
                        reference=f"{cell.code}-{year}-{counters[(cell.pk, year)]:04d}",
                        person=person,
                        state=state,
                        is_minor=is_minor(birth, opened.date()),
                        opened_at=opened,
                        prequalification_due=(opened + timedelta(days=cell.prequalification_days)).date(),
                        closed_at=opened + timedelta(days=min(age_days - 1, 60)) if closed else None,
                        close_reason=self._close_reason(state),
                        archived_at=opened + timedelta(days=365) if state == State.ARCHIVED else None,
                    )
                )
            cases = self._bulk(Case, cases)
            self.world.cases.extend(cases)
            referrals, transitions = [], []
            for case in cases:
                n_refs = 1
                if extra_referrals and self.rng.random() < (n_referrals - n_persons) / n_persons:
                    n_refs += 1 + int(self.rng.random() < 0.5)
                for r in range(n_refs):
                    received = case.opened_at + timedelta(days=r * 20)
                    referrals.append(self._referral(case, received, version, r))
                walk_from: str = State.RECEIVED
                for step, target in enumerate(PATHS[case.state]):
                    manager = self.rng.choice(self.world.managers[case.cell_id])
                    at = min(case.opened_at + timedelta(days=2 + 3 * step), self.world.now)
                    transitions.append(
                        Transition(case=case, from_state=walk_from, to_state=target, by=manager, at=at)
                    )
                    self.world.event(at, manager.user_id, case.cell_id, "case.transition", case)
                    walk_from = target
            referrals = self._bulk(Referral, referrals)
            observations = []
            for referral in referrals:
                self.world.event(
                    referral.received_at,
                    referral.submitted_by.user_id,
                    referral.cell_id,
                    "referral.submit",
                    referral,
                )
                for k in range(self.rng.randint(1, 3)):
                    observations.append(
                        Observation(
                            referral=referral,
                            indicator_id=self.rng.choice(indicators),
                            observed_on=(referral.received_at - timedelta(days=2 + k)).date(),
                            mode="direct" if k == 0 else "reported",
                            fact=self.rng.choice(FACTS),
                        )
                    )
            self._bulk(Observation, observations)
            self._bulk(Transition, transitions)
            for case in cases:
                self.world.event(case.opened_at, None, case.cell_id, "case.open", case)
            bar.update(size)
        bar.close()
        # Keep the counters ahead of the generated references: a real intake afterwards gets a new one.
        for (cell_pk, year), last_number in counters.items():
            ReferenceCounter.objects.update_or_create(
                cell_id=cell_pk, year=year, defaults={"last": last_number}
            )

    def _close_reason(self, state: str) -> str:
        if state == State.CLOSED:
            return self.rng.choice([CloseReason.END_OF_SUPPORT, CloseReason.NO_FURTHER_ELEMENTS])
        return ""

    def _referral(self, case: Case, received: datetime, version: CatalogueVersion, n: int) -> Referral:
        members = self.world.members[case.cell_id]
        by = self.rng.choice(members)
        cell_code = next(c.code for c in self.world.cells if c.pk == case.cell_id)
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        suffix = "".join(self.rng.choice(alphabet) for _ in range(8))
        return Referral(
            cell_id=case.cell_id,
            reference=f"AR-{cell_code}-{received.year}-{suffix}",
            submitted_by=by,
            source=self.rng.choice(Source.values),
            received_at=min(received, self.world.now),
            description="Faits constatés lors des activités du service (données générées).",
            urgent=case.state == State.URGENT_TRANSMITTED and n == 0,
            person_id=case.person_id,
            case=case,
            catalogue_version=version,
        )

    def meetings(self) -> None:
        n_meetings = self.n["meetings"]
        cells = self.world.cells
        by_cell: dict[int, list[Case]] = {}
        for case in self.world.cases:
            if case.state in (State.TO_REVIEW, State.REVIEWED, State.SUPPORT, State.WATCH, State.TRANSMITTED):
                by_cell.setdefault(case.cell_id, []).append(case)
        bar = self.progress("meetings", n_meetings)
        per_cell = max(1, n_meetings // len(cells))
        for cell in cells:
            followers = [
                m
                for m in self.world.members[cell.pk]
                if m.role in (Role.PRESIDENT, Role.COORDINATOR, Role.MEMBER, Role.STATE_MEMBER)
            ]
            manager = self.world.managers[cell.pk][0]
            # One meeting every few weeks over the past year and a half, the last two ahead.
            meetings = []
            for k in range(per_cell):
                days_ahead = 14 * (2 - k) if per_cell > 2 else 14 * (1 - k)
                starts = (self.world.now + timedelta(days=days_ahead)).replace(hour=14, minute=0, second=0)
                past = days_ahead < 0
                meetings.append(
                    Meeting(
                        cell=cell,
                        starts_at=starts,
                        ends_at=starts + timedelta(hours=2),
                        place="Salle du conseil, hôtel de ville",
                        convened_at=starts - timedelta(days=10),
                        opened_at=starts if past else None,
                        minutes_validated_at=starts + timedelta(days=3) if past else None,
                        minutes_validated_by=manager if past else None,
                    )
                )
            meetings = self._bulk(Meeting, meetings)
            attendees, items = [], []
            pool = by_cell.get(cell.pk, [])
            for meeting in meetings:
                past = meeting.starts_at < self.world.now
                self.world.event(
                    meeting.starts_at - timedelta(days=10),
                    manager.user_id,
                    cell.pk,
                    "meeting.convened",
                    meeting,
                )
                for m in followers:
                    attendees.append(
                        Attendee(
                            meeting=meeting,
                            membership=m,
                            attendance=self.rng.choices(Attendance.values, [85, 10, 5])[0] if past else "",
                        )
                    )
                for order, case in enumerate(self.rng.sample(pool, min(len(pool), 8))):
                    kinds: dict[str, str] = {
                        State.WATCH: ItemKind.WATCH,
                        State.SUPPORT: ItemKind.SUPPORT_REVIEW,
                    }
                    kind = kinds.get(case.state, ItemKind.REVIEW)
                    items.append(AgendaItem(meeting=meeting, case=case, kind=kind, order=order))
            self._bulk(Attendee, attendees)
            items = self._bulk(AgendaItem, items)
            decisions = []
            for item in items:
                meeting = item.meeting
                if meeting.starts_at < self.world.now:
                    decisions.append(
                        Decision(
                            item=item,
                            kind=self.rng.choice(DecisionKind.values),
                            responsible_service=self.rng.choice(SERVICES),
                            deadline=(meeting.starts_at + timedelta(days=42)).date(),
                            recorded_by=manager,
                        )
                    )
                    self.world.event(
                        meeting.starts_at, manager.user_id, cell.pk, "meeting.decision_recorded", item
                    )
            self._bulk(Decision, decisions)
            bar.update(len(meetings))
        bar.close()

    def support(self) -> None:
        followed = [c for c in self.world.cases if c.state in (State.SUPPORT, State.CLOSED)]
        if not followed:
            return
        n_actions = self.n["actions"]
        plans = self._bulk(
            SupportPlan,
            [
                SupportPlan(
                    case=case,
                    started_on=(case.opened_at + timedelta(days=15)).date(),
                    consent_on=(case.opened_at + timedelta(days=14)).date(),
                    parental_info_on=(case.opened_at + timedelta(days=14)).date() if case.is_minor else None,
                    path_referent=self.rng.choice(SERVICES),
                    ended_on=case.closed_at.date() if case.closed_at else None,
                )
                for case in followed
            ],
        )
        bar = self.progress("support actions", n_actions)
        actions = []
        for k in range(n_actions):
            plan = plans[k % len(plans)]
            case = plan.case
            start = plan.started_on + timedelta(days=7 * (k // len(plans)))
            actions.append(
                Action(
                    case=case,
                    cell_id=case.cell_id,
                    plan=plan,
                    service=self.rng.choice(SERVICES),
                    title=self.rng.choice(
                        [
                            "Inscription à une formation",
                            "Entretien avec l'éducateur",
                            "Suivi scolaire",
                            "Activité sportive",
                        ]
                    ),
                    start_on=start,
                    end_on=start + timedelta(days=30),
                    result=self.rng.choice(ActionResult.values),
                )
            )
            manager = self.world.managers[case.cell_id][0]
            self.world.event(
                case.opened_at + timedelta(days=16),
                manager.user_id,
                case.cell_id,
                "support.action_assigned",
                plan,
            )
            if len(actions) == 2000:
                self._bulk(Action, actions)
                bar.update(len(actions))
                actions = []
        self._bulk(Action, actions)
        bar.update(len(actions))
        bar.close()

    def transmissions(self) -> None:
        sent = [c for c in self.world.cases if c.state in (State.TRANSMITTED, State.URGENT_TRANSMITTED)]
        per_year: dict[tuple[int, int], int] = {}
        rows = []
        for case in sent:
            cell = next(c for c in self.world.cells if c.pk == case.cell_id)
            manager = self.world.managers[case.cell_id][0]
            prepared = case.opened_at + timedelta(days=10)
            key = (cell.pk, prepared.year)
            per_year[key] = per_year.get(key, 0) + 1
            rows.append(
                Transmission(
                    cell=cell,
                    case=case,
                    reference=f"{cell.code}-T{prepared.year}-{per_year[key]:04d}",
                    recipient=Recipient.PREFECTURE_GED,
                    legal_basis=LegalBasis.PROTOCOL,
                    purpose=Purpose.IMMINENT_DANGER
                    if case.state == State.URGENT_TRANSMITTED
                    else Purpose.EVALUATION,
                    status=self.rng.choice([TransmissionStatus.SENT, TransmissionStatus.ACKNOWLEDGED]),
                    prepared_by=manager,
                    prepared_at=prepared,
                    # Two-person rule (a database constraint too): the other manager approves.
                    approved_by=self.world.managers[case.cell_id][-1],
                    approved_at=prepared + timedelta(hours=2),
                )
            )
        transmissions = self._bulk(Transmission, rows)
        through = Transmission.observations.through
        links, feedback = [], []
        observation_ids = dict(
            Observation.objects.filter(referral__case__in=sent).values_list("referral__case_id", "pk")
        )
        for t in transmissions:
            if t.case_id in observation_ids:
                links.append(through(transmission_id=t.pk, observation_id=observation_ids[t.case_id]))
            self.world.event(t.prepared_at, t.prepared_by.user_id, t.cell_id, "transmission.prepare", t)
            self.world.event(t.approved_at, t.approved_by.user_id, t.cell_id, "transmission.approve", t)
            if t.status == TransmissionStatus.ACKNOWLEDGED and self.rng.random() < 0.6:
                feedback.append(
                    StateFeedback(
                        transmission=t,
                        outcome=self.rng.choice(FeedbackOutcome.values),
                        received_on=(t.prepared_at + timedelta(days=30)).date(),
                        recorded_by=t.prepared_by,
                    )
                )
        self._bulk(through, links)
        self._bulk(StateFeedback, feedback)

    # -- the audit trail -----------------------------------------------------------------------
    def _fillers(self) -> Iterator[tuple[int | None, int | None, str, str, str]]:
        cases = self.world.cases
        cells = {c.pk: self.world.members[c.pk] for c in self.world.cells}
        cell_ids = list(cells)
        while True:
            cell_id = self.rng.choice(cell_ids)
            member = self.rng.choice(cells[cell_id])
            action, target_type = self.rng.choice(READ_ACTIONS)
            if target_type == "cases.case":
                target_id = str(self.rng.choice(cases).pk)
            elif target_type == "accounts.user":
                target_id = str(member.user_id)
            elif target_type:
                target_id = str(self.rng.randint(1, 10_000))
            else:
                target_id = ""
            yield member.user_id, cell_id, action, target_type, target_id

    def audit_trail(self, batch: int = 5000) -> int:
        """Append the events in time order from the locked head, hashed by the chain itself."""
        writes = sorted(self.world.events, key=lambda e: e[0])
        total = max(self.n["audit_events"], len(writes))
        start = min([self._ago(730), *(w[0] for w in writes[:1])])
        span = (self.world.now - start) / total
        seq, prev = locked_head()
        fillers = self._fillers()
        bar = self.progress("audit events", total)
        rows: list[AuditEvent] = []
        w = 0
        for i in range(total):
            moment = start + span * (i + 1)
            remaining_slots = total - i
            if w < len(writes) and (writes[w][0] <= moment or len(writes) - w >= remaining_slots):
                _at, actor_id, cell_id, action, target_type, target_id = writes[w]
                w += 1
                data: dict[str, Any] = {}
            else:
                actor_id, cell_id, action, target_type, target_id = next(fillers)
                data = {}
            seq += 1
            fields: dict[str, Any] = {
                "seq": seq,
                "created_at": moment,
                "actor_id": actor_id,
                "cell_id": cell_id,
                "action": action,
                "target_type": target_type,
                "target_id": target_id,
                "outcome": "ok",
                "request_id": f"{self.rng.getrandbits(128):032x}",
                "ip": "127.0.0.1",
                "data": data,
            }
            digest = compute_hash(prev, canonical(**fields))
            rows.append(AuditEvent(prev_hash=prev, hash=digest, **fields))
            prev = digest
            if len(rows) == batch:
                AuditEvent.objects.bulk_create(rows)
                bar.update(len(rows))
                rows = []
        if rows:
            AuditEvent.objects.bulk_create(rows)
            bar.update(len(rows))
        bar.close()
        return total


class _NullBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass
