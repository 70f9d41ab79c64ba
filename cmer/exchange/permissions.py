"""Who may do what in the exchange with the State (docs/rules.md §2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cmer.accounts.roles import Role

if TYPE_CHECKING:
    from cmer.accounts.models import Membership
    from cmer.exchange.models import Transmission

MANAGERS = {Role.PRESIDENT, Role.COORDINATOR}


def _role(membership: Membership | None) -> str | None:
    return membership.role if membership is not None else None


def can_prepare_transmission(membership: Membership | None) -> bool:
    """The president and the coordinator prepare transmissions of their cell's cases."""
    return _role(membership) in MANAGERS


def can_read_transmission(membership: Membership | None) -> bool:
    """Only the president and the coordinator read a transmission with its transmitted facts."""
    return _role(membership) in MANAGERS


def can_view_register(membership: Membership | None) -> bool:
    """The register (references, no names) is kept for the president, coordinator and State members."""
    return _role(membership) in MANAGERS | {Role.STATE_MEMBER}


def can_approve_transmissions(membership: Membership | None) -> bool:
    """Only the president is the second approver; whether of this one is checked by the service."""
    return _role(membership) == Role.PRESIDENT


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
    return _role(membership) in MANAGERS


def can_record_feedback(membership: Membership | None) -> bool:
    """The coordinator or a State member records the State's feedback (retour)."""
    return _role(membership) in {Role.COORDINATOR, Role.STATE_MEMBER}


def can_record_prefect_information(membership: Membership | None) -> bool:
    """The coordinator or a State member records information given by the préfet to the maire."""
    return _role(membership) in {Role.COORDINATOR, Role.STATE_MEMBER}


def can_view_prefect_information(membership: Membership | None) -> bool:
    """President and coordinator see the compartment; a State member only what they recorded."""
    return _role(membership) in MANAGERS | {Role.STATE_MEMBER}


def can_manage_briefings(membership: Membership | None) -> bool:
    """The president and the coordinator schedule and log the maire's threat briefings."""
    return _role(membership) in MANAGERS


def can_read_inbox(membership: Membership | None) -> bool:
    """Every member of a cell reads their own notifications."""
    return membership is not None


def abilities(membership: Membership | None, transmission: Transmission) -> dict[str, bool]:
    return {
        "approve": can_approve_transmission(membership, transmission),
        "acknowledge": can_acknowledge_transmission(membership) and transmission.status == "sent",
        "feedback": can_record_feedback(membership)
        and transmission.is_sent
        and not hasattr(transmission, "feedback"),
    }
