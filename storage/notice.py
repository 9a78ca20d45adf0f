"""Letters and the notice they give: whether a restriction's letter has been sent (s6, s7)."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import AsyncSession
from storage.models import ContactStrategy, Letter
from storage.models.status import StrategyStatus


async def letter_sent(session: AsyncSession, *, strategy_id: int) -> bool:
    """Whether a strategy's own letter has a sending record."""
    stmt = select(Letter.id).where(
        Letter.strategy_id == strategy_id,
        Letter.kind == "strategy",
        Letter.sent_on.is_not(None),
    )
    return (await session.execute(stmt)).first() is not None


async def awaiting_notice(session: AsyncSession, *, person_id: int) -> ContactStrategy | None:
    """The person's strategy approved but not yet in force (its letter unsent), if any."""
    stmt = (
        select(ContactStrategy)
        .where(
            ContactStrategy.person_id == person_id,
            ContactStrategy.status == StrategyStatus.APPROVED,
        )
        .order_by(ContactStrategy.id.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
