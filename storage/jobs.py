"""Durable scheduled jobs: stored once per key, claimed atomically when due."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from storage.db import AsyncSession, upsert_once
from storage.models import ScheduledJob


async def schedule(
    session: AsyncSession, *, key: str, kind: str, due_at: datetime, payload: dict[str, Any]
) -> bool:
    """Store the job unless its key exists; True if it was new."""
    row = {"key": key, "kind": kind, "due_at": due_at, "payload": payload}
    return await session.run_sync(_schedule, row)


def _schedule(session: OrmSession, row: dict[str, Any]) -> bool:
    # A plain statement on the connection, built once: the ORM's insert path cost more
    # than the insert (docs/performance.md).
    conn = session.connection()
    stmt = upsert_once(_SCHEDULE, conn.dialect.name, _schedule_statement)
    return conn.execute(stmt, row).scalar_one_or_none() is not None


def _schedule_statement(insert: Any) -> Any:
    table = ScheduledJob.__table__
    return (
        insert(table)
        .values(status="pending", attempts=0)
        .on_conflict_do_nothing(index_elements=[table.c.key])
        .returning(table.c.id)
    )


_SCHEDULE: dict[str, Any] = {}


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
