"""Who may do what in the exchange with the State (docs/rules.md §2; role groups in
cmer/accounts/roles.py). Views, widgets and templates ask these predicates, never a role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import MANAGERS, STATE_CORRESPONDENTS, TRANSMISSION_READERS, Role, has_role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.exchange.models import Transmission

# The president alone is the second approver of a transmission (two-person rule).
APPROVERS = frozenset({Role.PRESIDENT})


def can_prepare_transmission(membership: Membership | None) -> bool:
    """The president and the coordinator prepare transmissions of their cell's cases to the State."""
    return has_role(membership, MANAGERS)


def can_read_transmission(membership: Membership | None) -> bool:
    """President, coordinator and State members read a sent transmission's facts, purpose, basis, channel."""
    return has_role(membership, TRANSMISSION_READERS)


def sees_transmission_context(membership: Membership | None) -> bool:
    """Only the president and the coordinator see, around a transmission, the case it came from.

    A State member reads what was addressed to the State and nothing else of the case
    (docs/rules.md §2): not its reference, nor who prepared or approved it.
    """
    return has_role(membership, MANAGERS)


def can_list_pending_feedback(membership: Membership | None) -> bool:
    """Whoever records the State's feedback (coordinator, State member) has the list of those expected."""
    return can_record_feedback(membership)


def can_view_register(membership: Membership | None) -> bool:
    """The register (references, no names) is kept for the president, coordinator and State members."""
    return has_role(membership, TRANSMISSION_READERS)


def can_approve_transmissions(membership: Membership | None) -> bool:
    """Only the president is the second approver; whether of this one is checked by the service."""
    return has_role(membership, APPROVERS)


def can_approve_transmission(membership: Membership | None, transmission: Transmission) -> bool:
    """The president approves a draft of the cell that someone else prepared."""
    return (
        membership is not None
        and can_approve_transmissions(membership)
        and transmission.cell_id == membership.cell_id
        and transmission.status == "draft"
        and transmission.prepared_by.user_id != membership.user_id
    )


def can_acknowledge_transmission(membership: Membership | None) -> bool:
    """The president and the coordinator record the recipient's acknowledgement of receipt."""
    return has_role(membership, MANAGERS)


def can_record_feedback(membership: Membership | None) -> bool:
    """The coordinator or a State member records the State's feedback (retour)."""
    return has_role(membership, STATE_CORRESPONDENTS)


def can_record_prefect_information(membership: Membership | None) -> bool:
    """The coordinator or a State member records information given by the préfet to the maire."""
    return has_role(membership, STATE_CORRESPONDENTS)


def can_view_prefect_information(membership: Membership | None) -> bool:
    """President and coordinator see the compartment; a State member only what they recorded."""
    return has_role(membership, TRANSMISSION_READERS)


def sees_whole_prefect_compartment(membership: Membership | None) -> bool:
    """The president and the coordinator see every entry; a State member only their own."""
    return has_role(membership, MANAGERS)


def sees_draft_transmissions(membership: Membership | None) -> bool:
    """Drafts are the managers' business; a State member sees a transmission once sent."""
    return has_role(membership, MANAGERS)


def can_manage_briefings(membership: Membership | None) -> bool:
    """The president and the coordinator schedule and log the maire's threat briefings."""
    return has_role(membership, MANAGERS)


def register_abilities(membership: Membership | None) -> dict[str, bool]:
    """What the register page offers this membership (templates test these, never a role)."""
    return {
        "read": can_read_transmission(membership),
        "prepare": can_prepare_transmission(membership),
        # The case's reference and who prepared or approved: not for a State member (docs/rules.md §2).
        "context": sees_transmission_context(membership),
        "feedback": can_record_feedback(membership),
    }


def abilities(membership: Membership | None, transmission: Transmission) -> dict[str, bool]:
    return {
        "approve": can_approve_transmission(membership, transmission),
        "acknowledge": can_acknowledge_transmission(membership) and transmission.status == "sent",
        "feedback": can_record_feedback(membership)
        and transmission.is_sent
        and not hasattr(transmission, "feedback"),
    }
