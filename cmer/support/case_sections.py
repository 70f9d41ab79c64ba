"""The support app's section of the situation page: the plan and the actions one may follow.

Registered with cmer.cases.sections in SupportConfig.ready. Actions come through
Action.visible_to: a member sees only those of their own service (docs/rules.md §2).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cmer.accounts.models import Membership
from cmer.cases.models import Action, Case, SupportPlan
from cmer.cases.sections import CaseSection
from cmer.support.permissions import can_follow_actions


def support_section(membership: Membership, case: Case) -> CaseSection | None:
    if not can_follow_actions(membership):
        return None
    plan = SupportPlan.objects.filter(case=case).first()
    actions = list(Action.objects.visible_to(membership).filter(case=case).order_by("end_on", "pk"))
    return CaseSection(
        anchor="accompagnement",
        title=_("Accompagnement et actions"),
        template="support/case_section.html",
        context={"plan": plan, "actions": actions},
        order=40,
    )
