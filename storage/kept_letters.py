"""Letters kept with a case: a case's letters, and one letter by its number (what
`safecontact letters list` and `letters get` read, and the notice flows load)."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import AsyncSession
from storage.models import Letter


async def of_person(session: AsyncSession, *, person_id: int) -> list[Letter]:
    """A person's letters, oldest first (the order they were written)."""
    stmt = select(Letter).where(Letter.person_id == person_id).order_by(Letter.id)
    return list((await session.execute(stmt)).scalars())


async def letter(session: AsyncSession, *, letter_id: object, lock: bool = False) -> Letter | None:
    """A letter by id; with `lock`, held until the transaction ends (two clicks in turn).
    Ids come from buttons and forms, so anything that is not an int finds nothing."""
    if not isinstance(letter_id, int) or isinstance(letter_id, bool):
        return None
    stmt = select(Letter).where(Letter.id == letter_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()
