"""Demo situations (fictitious people from Faker fr_FR) in every state, for both demo cells.

Written through the real services (intake, transitions, closure), then back-dated so the queue
shows realistic deadlines. Skipped for a cell that already has cases, so seed_demo can re-run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from cmer.accounts.demo import CELLS
from cmer.accounts.models import Cell, Membership
from cmer.accounts.roles import Role
from cmer.cases.models import Case, Transition
from cmer.cases.services import case_close, case_transition
from cmer.cases.states import State
from cmer.referrals.models import Referral, Source
from cmer.referrals.services import Identity, referral_submit
from cmer.training.models import CatalogueVersion

# Observed facts, one factual sentence per indicator code of catalogue v1.
FACTS = {
    "RUP-S2": "N'est pas rentré au domicile trois nuits cette semaine, sans explication donnée.",
    "RUP-S4": "A montré à des camarades des photos d'armes en demandant où s'en procurer.",
    "RUP-S6": "A refusé de répondre à l'animatrice et exigé de parler à un homme.",
    "RUP-W1": "Absent aux cours de l'après-midi quatre jours sur cinq depuis la rentrée.",
    "RUP-W2": "Passé en trois semaines d'un comportement jovial à un mutisme complet avec l'équipe.",
    "RUP-W5": "A organisé deux collectes d'argent au club sans dire à qui l'argent irait.",
    "ENV-C3": "Ne participe plus à aucune activité du quartier depuis deux mois.",
    "DIS-S1": "A affirmé à plusieurs reprises devant le groupe que « la fin des temps est proche ».",
    "DIS-W2": "A contesté chaque consigne de l'éducateur en niant sa légitimité.",
    "TEC-S1": "A partagé une vidéo de propagande violente dans le groupe de discussion du club.",
    "TEC-W1": "A changé trois fois de numéro de téléphone en un mois.",
}

# (age in days, final state, indicator codes, urgent, source entered by the coordinator or None)
SCENARIOS: list[tuple[int, str, list[str], bool, str | None]] = [
    (2, State.RECEIVED, ["RUP-W1", "RUP-W2"], False, None),
    (1, State.RECEIVED, ["TEC-S1", "RUP-S4"], True, None),
    (20, State.RECEIVED, ["RUP-S2"], False, Source.FAMILY),
    (6, State.PREQUALIFICATION, ["DIS-S1", "ENV-C3"], False, None),
    (18, State.PREQUALIFICATION, ["RUP-W5"], False, Source.MUNICIPAL_SERVICE),
    (40, State.DISMISSED, ["ENV-C3"], False, Source.SCHOOL),
    (35, State.COMMON_LAW, ["RUP-W1"], False, Source.SCHOOL),
    (30, State.URGENT_TRANSMITTED, ["RUP-S4", "TEC-S1"], True, None),
    (25, State.TO_REVIEW, ["RUP-S2", "DIS-W2"], False, None),
    (22, State.TO_REVIEW, ["TEC-W1", "RUP-S6"], False, Source.MUNICIPAL_POLICE),
    (60, State.REVIEWED, ["DIS-S1"], False, None),
    (90, State.SUPPORT, ["RUP-W1", "RUP-W2", "ENV-C3"], False, None),
    (120, State.SUPPORT, ["RUP-S2", "DIS-W2"], False, Source.LANDLORD),
    (150, State.SUPPORT, ["RUP-S6", "TEC-W1"], False, None),
    (100, State.WATCH, ["DIS-W2"], False, Source.ASSOCIATION),
    (80, State.TRANSMITTED, ["TEC-S1", "RUP-S4", "DIS-S1"], False, None),
    (200, State.CLOSED, ["RUP-W1"], False, None),
    (400, State.ARCHIVED, ["ENV-C3"], False, Source.SCHOOL),
]

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
    State.CLOSED: [State.PREQUALIFICATION, State.TO_REVIEW, State.REVIEWED],
    State.ARCHIVED: [State.PREQUALIFICATION, State.DISMISSED, State.ARCHIVED],
}
NOTES: dict[str, str] = {
    State.DISMISSED: "Un seul élément de contexte, aucun fait du catalogue : classement.",
    State.COMMON_LAW: "Décrochage scolaire seul : orientation vers la mission locale.",
    State.URGENT_TRANSMITTED: "Intérêt pour les armes et contenus violents : transmis en urgence.",
    State.TO_REVIEW: "Plusieurs faits datés et concordants : inscription à la prochaine réunion.",
}


def _member(cell: Cell, role: str) -> Membership | None:
    return Membership.objects.active().filter(cell=cell, role=role).first()


def _seed_cell(cell: Cell, faker: Any, version: CatalogueVersion) -> None:
    coordinator = _member(cell, Role.COORDINATOR)
    if coordinator is None:
        return
    reporter: Membership = _member(cell, Role.REPORTER) or coordinator
    indicators = {i.code: i.pk for i in version.indicators.all()}
    now = timezone.now()
    first_identity: Identity | None = None
    for n, (age, state, codes, urgent, source) in enumerate(SCENARIOS):
        birth = faker.date_of_birth(minimum_age=13, maximum_age=26)
        identity = Identity(
            last_name=faker.last_name(),
            first_name=faker.first_name(),
            birth_date=birth,
            sex=faker.random_element(["F", "M"]),
            address=faker.address().replace("\n", ", "),
            phone=faker.phone_number(),
            situation=faker.random_element(["Lycée, seconde", "Collège, 4e", "Sans emploi", "Apprentissage"]),
        )
        first_identity = first_identity or identity
        opened = now - timedelta(days=age)
        observations = [
            {
                "indicator": indicators[code],
                "observed_on": (opened - timedelta(days=2 + i)).date(),
                "mode": "direct" if i == 0 else "reported",
                "fact": FACTS[code],
            }
            for i, code in enumerate(codes)
        ]
        referral = referral_submit(
            by=coordinator if source else reporter,
            identity=identity,
            source=source or Source.TRAINED_AGENT,
            description=(
                "Faits rapportés à la coordination par le partenaire."
                if source
                else "Faits constatés lors des activités du service municipal."
            ),
            urgent=urgent,
            observations=observations,
            submission_key=f"demo-{cell.code}-{n:03d}-seed",
        )
        case = referral.case
        for target in PATHS[state]:
            case_transition(case=case, to_state=target, by=coordinator, note=NOTES.get(target, ""))
        if state in (State.CLOSED,):
            case_close(
                case=case, reason="end_of_support", by=coordinator, note="Objectifs du suivi atteints."
            )
        due_at = opened + timedelta(hours=settings.CMER_URGENT_PREQUALIFICATION_HOURS) if urgent else None
        Case.objects.filter(pk=case.pk).update(
            opened_at=opened,
            prequalification_due=(due_at or opened + timedelta(days=cell.prequalification_days)).date(),
            prequalification_due_at=due_at,
        )
        Referral.objects.filter(pk=referral.pk).update(received_at=opened)
        for step, t in enumerate(Transition.objects.filter(case=case)):
            Transition.objects.filter(pk=t.pk).update(at=min(opened + timedelta(days=2 + 3 * step), now))
    # A second signalement about the first person: the coordinator sees "déjà connue".
    if first_identity is not None:
        referral_submit(
            by=reporter,
            identity=first_identity,
            source=Source.TRAINED_AGENT,
            description="Nouveaux faits constatés au club de sport.",
            urgent=False,
            observations=[
                {
                    "indicator": indicators["RUP-S6"],
                    "observed_on": timezone.localdate() - timedelta(days=1),
                    "mode": "direct",
                    "fact": FACTS["RUP-S6"],
                }
            ],
            submission_key=f"demo-{cell.code}-known-seed",
        )


def seed(faker: Any) -> None:
    version = CatalogueVersion.objects.current()
    if version is None:
        return
    for spec in CELLS:
        cell = Cell.objects.filter(code=spec["code"]).first()
        if cell is None or Case.objects.filter(cell=cell).exists():
            continue
        _seed_cell(cell, faker, version)
