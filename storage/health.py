"""How the operational tables stand: what `doctor` checks and `/metrics` exports.

Counts and ages only, never a row's contents, so nothing here can carry personal data
to a terminal or a metrics scraper.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, OutboxMessage, ScheduledJob

# Outbox states, as stored; `sending` is a message a worker holds right now.
OUTBOX_STATES = ("pending", "sending", "sent", "failed", "skipped")


@dataclass(frozen=True)
class OutboxHealth:
    by_status: dict[str, int]
    # The failed messages written since `since` (the admins were told of each at the time).
    failed_since: int
    # When the longest-waiting message that is due now became due; None when none waits.
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
    oldest = (
        await session.execute(
            select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status.in_(("pending", "sending")),
                OutboxMessage.next_attempt_at <= now,
            )
        )
    ).scalar_one()
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
