"""Durable scheduled jobs: stored once per key, claimed atomically when due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ScheduledJob


async def schedule(
    session: AsyncSession, *, key: str, kind: str, due_at: datetime, payload: dict[str, Any]
) -> bool:
    """Store the job unless its key exists; True if it was new."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(ScheduledJob)
        .values(key=key, kind=kind, due_at=due_at, payload=payload, status="pending", attempts=0)
        .on_conflict_do_nothing(index_elements=[ScheduledJob.key])
        .returning(ScheduledJob.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def list_jobs(
    session: AsyncSession, *, status: str | None = None, limit: int = 200
) -> list[ScheduledJob]:
    stmt = select(ScheduledJob).order_by(ScheduledJob.due_at).limit(limit)
    if status:
        stmt = stmt.where(ScheduledJob.status == status)
    return list((await session.execute(stmt)).scalars())


async def claim_due(session: AsyncSession, *, now: datetime, limit: int) -> list[ScheduledJob]:
    """Due jobs, locked for this transaction; other replicas skip them (SKIP LOCKED).

    The caller runs each job and marks it done in the same transaction, so a job is
    never half-run: a crash rolls both back and another pass runs it again.
    """
    stmt = (
        select(ScheduledJob)
        .where(ScheduledJob.status == "pending", ScheduledJob.due_at <= now)
        .order_by(ScheduledJob.due_at, ScheduledJob.id)
        .limit(limit)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list((await session.execute(stmt)).scalars())
