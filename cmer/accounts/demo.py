"""Demo cells and accounts (fake data only), loaded by `manage.py seed_demo`."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from cmer.accounts.models import Cell, Charter, CharterAcceptance, Membership, Protocol, TOTPDevice, User
from cmer.accounts.roles import Role

if TYPE_CHECKING:
    from faker import Faker  # a development dependency: demo data only

DEMO_PASSWORD = "demo-cmer-2026"  # nosec B105 — fake accounts of the demo database only
CHARTER_TEXT = """Charte de confidentialité de la cellule municipale d'échanges sur la radicalisation

1. Les informations échangées au sein de la cellule sont confidentielles. Elles ne sont utilisées que pour la prévention de la radicalisation, dans le rôle de chacun.
2. Chaque membre n'accède qu'aux situations dont il a besoin d'avoir connaissance. Chaque consultation est tracée.
3. Aucune information n'est copiée, exportée ou transmise hors des circuits prévus par le protocole.
4. Les faits consignés sont observés et datés ; aucune opinion, aucun jugement sur la personne, aucune donnée sensible (religion, opinions, santé, origine).
5. Le secret professionnel et le secret partagé s'appliquent dans les limites fixées par la loi."""

CELLS = [
    {"name": "Miramas", "insee_code": "13063", "code": "MIR"},
    {"name": "Istres", "insee_code": "13047", "code": "IST"},
]
SERVICES = {
    Role.PRESIDENT: "Mairie",
    Role.COORDINATOR: "Coordination CMER",
    Role.MEMBER: "CCAS",
    Role.STATE_MEMBER: "Préfecture de police",
    Role.GUEST: "Mission locale",
    Role.REPORTER: "Service jeunesse",
    Role.TRAINER: "Organisme de formation",
    Role.DPO: "Délégation à la protection des données",
}


def demo_email(role: str, cell_code: str) -> str:
    return f"{role.replace('_', '-')}.{cell_code.lower()}@demo.cmer.test"


def _user(email: str, first: str, last: str, *, staff: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"first_name": first, "last_name": last, "is_staff": staff, "is_superuser": staff},
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
        TOTPDevice.objects.create(user=user, name="Démo", key=secrets.token_hex(20), confirmed=True)
    return user


def seed(faker: Faker) -> list[tuple[str, str]]:
    """Create (idempotently) both cells with protocol, charter and one account per role."""
    accounts: list[tuple[str, str]] = []
    admin = _user("admin@demo.cmer.test", "Alex", "Admin", staff=True)
    accounts.append((admin.email, "administrateur de la plateforme"))
    for spec in CELLS:
        cell, _ = Cell.objects.get_or_create(
            insee_code=spec["insee_code"],
            defaults={
                "name": spec["name"],
                "code": spec["code"],
                "department": "13",
                "prefecture": "Préfecture de police des Bouches-du-Rhône",
                "operator": f"Commune de {spec['name']}",
            },
        )
        Protocol.objects.get_or_create(
            cell=cell,
            document_reference=f"PROT-{cell.code}-2024",
            defaults={
                "signed_on": date(2024, 3, 15),
                "prefet_signatory": "Le préfet de police des Bouches-du-Rhône",
                "maire_signatory": f"Le maire de {cell.name}",
                "procureur_signatory": "Le procureur de la République d'Aix-en-Provence",
                "scope": "Prévention de la radicalisation : repérage, échanges, suivi.",
            },
        )
        charter, _ = Charter.objects.get_or_create(
            cell=cell, version=1, defaults={"text": CHARTER_TEXT, "effective_date": date(2024, 4, 1)}
        )
        for role in Role:
            user = _user(demo_email(role.value, cell.code), faker.first_name(), faker.last_name())
            membership, created = Membership.objects.get_or_create(
                user=user,
                cell=cell,
                end_date=None,
                defaults={
                    "role": role.value,
                    "service": SERVICES[role],
                    "start_date": timezone.localdate() - timedelta(days=400),
                },
            )
            # The coordinator accepts in advance so the demo opens on real content; the others
            # meet the charter page at their first login, as in production.
            if created and role in (Role.COORDINATOR, Role.PRESIDENT):
                CharterAcceptance.objects.create(membership=membership, charter=charter)
            accounts.append((user.email, f"{role.label} — {cell}"))
    outsider = _user("sans-cellule@demo.cmer.test", "Sam", "Horscellule")
    accounts.append((outsider.email, "compte sans cellule"))
    return accounts
