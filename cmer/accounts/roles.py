"""Roles of a membership and the groups of roles the access policy speaks of.

The groups are defined here once (docs/rules.md, capability table). Predicates in each app's
`permissions.py` use them; views, widgets, menus and templates never name a role themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from cmer.accounts.models import Membership


class Role(models.TextChoices):
    PRESIDENT = "president", _("Président (maire ou adjoint délégué)")
    COORDINATOR = "coordinator", _("Coordonnateur")
    MEMBER = "member", _("Membre (commune)")
    STATE_MEMBER = "state_member", _("Membre (État)")
    GUEST = "guest", _("Intervenant ponctuel")
    REPORTER = "reporter", _("Agent signalant")
    TRAINER = "trainer", _("Formateur")
    DPO = "dpo", _("Délégué à la protection des données")


# Roles that need the cell's charter accepted before anything is shown. Everyone, in fact:
# the charter binds every person who can open a page of the cell.
CHARTER_ROLES = frozenset(Role.values)

# President and coordinator: they run the cell and see all of its cases.
MANAGERS = frozenset({Role.PRESIDENT, Role.COORDINATOR})
# Permanent members (commune and State sides): need-to-know scope only (agenda, own service).
SCOPED_MEMBERS = frozenset({Role.MEMBER, Role.STATE_MEMBER})
# Everyone who may follow a case in some scope: may be convened, may hold an action.
FOLLOWERS = MANAGERS | SCOPED_MEMBERS
# Everyone who may take part in a meeting (a guest for their own item only).
PARTICIPANTS = FOLLOWERS | {Role.GUEST}
# Who may submit a signalement; members and reporters need a valid certification for it.
SUBMITTERS = MANAGERS | {Role.MEMBER, Role.REPORTER}
NEEDS_CERTIFICATION = frozenset({Role.MEMBER, Role.REPORTER})
# Who speaks for the State side of the exchange: records the State's feedback and the préfet's
# information (the coordinator as the cell's correspondent).
STATE_CORRESPONDENTS = frozenset({Role.COORDINATOR, Role.STATE_MEMBER})
# Who may read transmissions addressed to the State.
TRANSMISSION_READERS = MANAGERS | {Role.STATE_MEMBER}
# Who runs training: sessions, attendance, certifications (the coordinator oversees them).
TRAINING_STAFF = frozenset({Role.TRAINER, Role.COORDINATOR})
# Who is alerted at once of an urgent signalement (danger imminent) and sees its dashboard card.
URGENT_ALERTED = MANAGERS | {Role.STATE_MEMBER}
# Roles that open personal data of the people followed (every role but the trainer's): given or
# changed by the platform admin, such a membership waits for the president's approval.
PERSONAL_DATA_ROLES = frozenset(Role.values) - {Role.TRAINER}
# Who approves a membership made by the platform admin.
APPROVERS = frozenset({Role.PRESIDENT})
# Who may read the cell's anonymised statistics.
STATS_READERS = FOLLOWERS | {Role.DPO}


def has_role(membership: Membership | None, group: frozenset[str]) -> bool:
    """True when there is a current membership and its role belongs to `group`."""
    return membership is not None and membership.role in group
