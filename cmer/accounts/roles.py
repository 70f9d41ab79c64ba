from django.db import models
from django.utils.translation import gettext_lazy as _


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
