"""How the operational tables stand: what `doctor` checks and `/metrics` exports.

Counts and ages only, never a row's contents, so nothing here can carry personal data
to a terminal or a metrics scraper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from storage.db import AsyncSession
from storage.models import AuditEvent, OutboxMessage, ScheduledJob

# Outbox states, as stored; `sending` is a message a worker holds right now.
OUTBOX_STATES = ("pending", "sending", "sent", "failed", "skipped")


@dataclass(frozen=True)
class OutboxHealth:
    by_status: dict[str, int]
    # The failed messages written since `since` (the admins were told of each at the time).
    failed_since: int
    # Since when the longest-waiting undelivered message has waited: since it was written if
    # it has been tried, since it fell due if not; None when nothing waits.
    oldest_due_at: datetime | None


@dataclass(frozen=True)
class JobsHealth:
    # Pending jobs whose time has come.
    due: int
    # Pending jobs due for longer than the grace period: nothing is running them.
    overdue: int
    failed: int
    oldest_due_at: datetime | None


async def outbox_health(session: AsyncSession, *, now: datetime, since: datetime) -> OutboxHealth:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    by_status = {status: 0 for status in OUTBOX_STATES}
    by_status.update({status: count for status, count in rows.all()})
    failed_since = (
        await session.execute(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == "failed", OutboxMessage.created_at >= since)
        )
    ).scalar_one()
    waiting = OutboxMessage.status.in_(("pending", "sending"))
    # Tried and not yet delivered: waiting since it was written, backoff or not.
    tried = (
        await session.execute(
            select(func.min(OutboxMessage.created_at)).where(waiting, OutboxMessage.attempts > 0)
        )
    ).scalar_one()
    # Never tried though its time has come (a message held for office hours is not due).
    untried = (
        await session.execute(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                waiting, OutboxMessage.attempts == 0, OutboxMessage.next_attempt_at <= now
            )
        )
    ).scalar_one()
    oldest = min((t for t in (tried, untried) if t is not None), default=None)
    return OutboxHealth(by_status, failed_since, oldest)


async def jobs_health(session: AsyncSession, *, now: datetime, grace: timedelta) -> JobsHealth:
    pending = ScheduledJob.status == "pending"
    due, oldest = (
        await session.execute(
            select(func.count(), func.min(ScheduledJob.due_at)).where(
                pending, ScheduledJob.due_at <= now
            )
        )
    ).one()
    overdue = (
        await session.execute(
            select(func.count())
            .select_from(ScheduledJob)
            .where(pending, ScheduledJob.due_at <= now - grace)
        )
    ).scalar_one()
    failed = (
        await session.execute(
            select(func.count()).select_from(ScheduledJob).where(ScheduledJob.status == "failed")
        )
    ).scalar_one()
    return JobsHealth(due, overdue, failed, oldest)


async def audit_head_at(session: AsyncSession) -> datetime | None:
    """When the newest audit event was written: how long ago anything changed."""
    stmt = select(AuditEvent.at).order_by(AuditEvent.seq.desc()).limit(1)
    return (await session.execute(stmt)).scalar_one_or_none()


def overdue_grace(scheduler_interval: float) -> timedelta:
    """How long a due job may wait before it counts as overdue: several scheduler passes,
    and never less than ten minutes, so a busy pass or a restart is not an alarm."""
    return max(timedelta(minutes=10), timedelta(seconds=3 * scheduler_interval))
