"""Contact strategies (s7): the one in force, proposals and their revisions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.db import AsyncSession
from storage.models import Authorisation, ContactStrategy, Review
from storage.models.status import AuthorisationStatus, ReviewOutcome, StrategyStatus


async def get(
    session: AsyncSession, *, strategy_id: Any, lock: bool = False
) -> ContactStrategy | None:
    """A strategy by id. With `lock`, held until the transaction ends (FOR UPDATE on
    PostgreSQL; SQLite already has one writer), so two people deciding at once are
    decided in turn, each seeing the other's change."""
    if not isinstance(strategy_id, int) or isinstance(strategy_id, bool):
        return None
    stmt = select(ContactStrategy).where(ContactStrategy.id == strategy_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def in_force(session: AsyncSession, *, person_id: int) -> ContactStrategy | None:
    """The person's strategy in force, if any (the newest, should there ever be two)."""
    stmt = (
        select(ContactStrategy)
        .where(
            ContactStrategy.person_id == person_id,
            ContactStrategy.status == StrategyStatus.ACTIVE,
        )
        .order_by(ContactStrategy.activated_at.desc(), ContactStrategy.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def of_person(session: AsyncSession, *, person_id: int) -> list[ContactStrategy]:
    stmt = (
        select(ContactStrategy)
        .where(ContactStrategy.person_id == person_id)
        .order_by(ContactStrategy.created_at, ContactStrategy.id)
    )
    return list((await session.execute(stmt)).scalars())


async def resubmitted(session: AsyncSession, *, strategy_id: int) -> bool:
    """Whether a proposal sent back for changes has already been resubmitted."""
    stmt = select(ContactStrategy.id).where(ContactStrategy.revision_of_id == strategy_id)
    return (await session.execute(stmt)).first() is not None


async def change_pending(session: AsyncSession, *, strategy_id: int) -> bool:
    """Whether an alteration of this strategy is waiting: for authorisation, or approved and
    waiting for its letter to be sent."""
    stmt = select(ContactStrategy.id).where(
        ContactStrategy.supersedes_id == strategy_id,
        ContactStrategy.status.in_((StrategyStatus.PENDING, StrategyStatus.APPROVED)),
    )
    return (await session.execute(stmt)).first() is not None


async def approvers(session: AsyncSession, *, strategy_id: int) -> list[int]:
    """Who approved this strategy (staff ids)."""
    stmt = select(Authorisation.decided_by_id).where(
        Authorisation.strategy_id == strategy_id,
        Authorisation.status == AuthorisationStatus.APPROVED,
    )
    return [a for a in (await session.execute(stmt)).scalars() if a is not None]


async def decision_makers(session: AsyncSession, *, strategy_id: int) -> list[tuple[str, int]]:
    """Who took part in the decisions behind the arrangements now in `strategy_id`, as
    (what they did, staff id): for it and every version it superseded (an alteration at
    review), the proposer, the approvers, and each reviewer who continued or altered it."""
    found: list[tuple[str, int]] = []
    seen: set[int] = set()
    current: int | None = strategy_id
    while current is not None and current not in seen:
        seen.add(current)
        strategy = await session.get(ContactStrategy, current)
        if strategy is None:
            break
        found.append(("proposed", strategy.proposer_id))
        found += [("approved", a) for a in await approvers(session, strategy_id=current)]
        reviewed = select(Review.outcome, Review.reviewed_by_id).where(
            Review.strategy_id == current,
            Review.outcome.in_((ReviewOutcome.CONTINUED, ReviewOutcome.ALTERED)),
        )
        found += [(str(o), r) for o, r in (await session.execute(reviewed)).all()]
        current = strategy.supersedes_id
    return found


async def standing(session: AsyncSession, *, person_id: int) -> str | None:
    """ "active" while a strategy is in force for the person, "approved" while one is
    authorised but awaiting notice (its letter unsent), "pending" while one waits for
    authorisation, else None: what the incident cards say instead of offering Propose."""
    order = (StrategyStatus.ACTIVE, StrategyStatus.APPROVED, StrategyStatus.PENDING)
    stmt = select(ContactStrategy.status).where(
        ContactStrategy.person_id == person_id,
        ContactStrategy.status.in_(order),
    )
    found = set((await session.execute(stmt)).scalars().all())
    return next((StrategyStatus(s) for s in order if s in found), None)
