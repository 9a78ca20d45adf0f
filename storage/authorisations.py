"""Authorisation requests (s7, s7.1): who decided, and first decision wins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.db import AsyncSession
from storage.models import Authorisation, OutboxMessage
from storage.models.status import AuthorisationStatus, OutboxKind


async def get(session: AsyncSession, *, authorisation_id: Any) -> Authorisation | None:
    if not isinstance(authorisation_id, int) or isinstance(authorisation_id, bool):
        return None
    return await session.get(Authorisation, authorisation_id)


async def pending(session: AsyncSession) -> list[Authorisation]:
    stmt = select(Authorisation).where(Authorisation.status == AuthorisationStatus.PENDING)
    return list((await session.execute(stmt)).scalars())


async def decide(
    session: AsyncSession,
    *,
    authorisation: Authorisation,
    status: AuthorisationStatus,
    by: int,
    at: datetime,
    reason: str,
) -> bool:
    """Record a decision in one conditional UPDATE; False if another decision came first."""
    result = await session.execute(
        update(Authorisation)
        .where(
            Authorisation.id == authorisation.id,
            Authorisation.status == AuthorisationStatus.PENDING,
        )
        .values(status=status, decided_by_id=by, decided_at=at, decision_reason=reason)
    )
    await session.refresh(authorisation)
    return bool(result.rowcount)


async def card_holders(session: AsyncSession, *, card_key: str) -> set[int]:
    """Who has been sent a card (whether or not it has arrived yet)."""
    stmt = select(OutboxMessage.recipient_id).where(
        OutboxMessage.card_key == card_key, OutboxMessage.kind == OutboxKind.MESSAGE
    )
    return set((await session.execute(stmt)).scalars())
