"""The strategy in force for a person, and who looks after it (s7.1-s7.3).

Breaches, reviews, the contact log and disputes all start from "the strategy in force"
and end with its guardians being told; those steps live here once.
"""

from __future__ import annotations

from typing import Any

from dialogs.errors import DomainError, NotFound
from dialogs.people.find import person
from dialogs.strategy.rules import spoc_id
from storage import notice as notice_repo
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import ContactStrategy, Person, StaffMember
from storage.models.status import StrategyStatus


async def require_active(
    session: AsyncSession, person_id: Any, *, doing: str
) -> tuple[Person, ContactStrategy]:
    """The person and their strategy in force; `doing` finishes "there is nothing to ..."."""
    who = await person(session, person_id)
    strategy = await strategies_repo.in_force(session, person_id=who.id)
    if strategy is None and await notice_repo.awaiting_notice(session, person_id=who.id):
        raise DomainError(
            f"The contact strategy for {who.reference} is approved, awaiting notice: it is not "
            "in force until its letter is recorded as sent (s6, s7), so there is nothing to "
            f"{doing} yet."
        )
    if strategy is None:
        raise DomainError(
            f"{who.reference} has no contact strategy in force, so there is nothing to {doing}."
        )
    return who, strategy


async def strategy_in_force(
    session: AsyncSession, strategy_id: Any, *, lock: bool = False
) -> tuple[ContactStrategy, Person]:
    """A strategy a form names, refused unless it is still in force.

    With `lock`, the row is held until the transaction ends, so two people deciding at
    once are decided in turn.
    """
    strategy = await strategies_repo.get(session, strategy_id=strategy_id, lock=lock)
    if strategy is None:
        raise NotFound("That contact strategy could not be found.")
    who = await person(session, strategy.person_id)
    if strategy.status != StrategyStatus.ACTIVE:
        raise DomainError(
            f"The contact strategy for {who.reference} is no longer in force "
            f"(it is {strategy.status}), so this cannot be recorded against it."
        )
    return strategy, who


async def for_form(
    session: AsyncSession, context: dict[str, Any], *, doing: str
) -> tuple[Person, ContactStrategy]:
    """The person and the strategy in force a form is about: the one it names when a card
    brings it back (`strategy_id`), or the person's (`person_id`, from /case)."""
    if "person_id" not in context:
        strategy, who = await strategy_in_force(session, context.get("strategy_id"))
        return who, strategy
    return await require_active(session, context.get("person_id"), doing=doing)


async def guardians(session: AsyncSession, strategy: ContactStrategy) -> list[StaffMember]:
    """Who looks after a strategy: its proposer, its single point of contact, the authorisers."""
    people: dict[int, StaffMember] = {}
    for staff_id in (strategy.proposer_id, spoc_id(strategy)):
        member = await session.get(StaffMember, staff_id) if staff_id else None
        if member is not None and member.in_directory:
            people[member.id] = member
    for member in await staff_repo.with_role(session, role="authoriser"):
        people.setdefault(member.id, member)
    return list(people.values())
