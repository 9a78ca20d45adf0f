"""Case references such as SC-2026-00042: readable on the phone, unique under concurrency."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession

from storage.db import AsyncSession, upsert_once
from storage.models import CaseRefCounter

PREFIX = "SC"


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:05d}"


async def allocate_reference(session: AsyncSession, *, year: int) -> str:
    """One upsert: the row lock on PostgreSQL (and the single writer on SQLite) serialises it."""
    number = await session.run_sync(_next_number, year)
    return format_reference(year, number)


def _next_number(session: OrmSession, year: int) -> int:
    # A plain statement on the connection, built once per dialect (docs/performance.md).
    conn = session.connection()
    stmt = upsert_once(_NEXT, conn.dialect.name, _next_statement)
    return int(conn.execute(stmt, {"year": year}).scalar_one())


def _next_statement(insert: Any) -> Any:
    table = CaseRefCounter.__table__
    return (
        insert(table)
        .values(last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.year], set_={"last_value": table.c.last_value + 1}
        )
        .returning(table.c.last_value)
    )


_NEXT: dict[str, Any] = {}
