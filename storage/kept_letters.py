"""Letters kept with a case: what `safecontact letters list` and `letters get` read."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import AsyncSession
from storage.models import Letter


async def of_person(session: AsyncSession, *, person_id: int) -> list[Letter]:
    """A person's letters, oldest first (the order they were written)."""
    stmt = select(Letter).where(Letter.person_id == person_id).order_by(Letter.id)
    return list((await session.execute(stmt)).scalars())


async def get(session: AsyncSession, *, letter_id: int) -> Letter | None:
    return await session.get(Letter, letter_id)
