"""Case references such as SC-2026-00042: readable on the phone, unique under concurrency."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CaseRefCounter

PREFIX = "SC"


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:05d}"


async def allocate_reference(session: AsyncSession, *, year: int) -> str:
    """One upsert: the row lock on PostgreSQL (and the single writer on SQLite) serialises it."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(CaseRefCounter)
        .values(year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=[CaseRefCounter.year],
            set_={"last_value": CaseRefCounter.last_value + 1},
        )
        .returning(CaseRefCounter.last_value)
    )
    number = (await session.execute(stmt)).scalar_one()
    return format_reference(year, number)
