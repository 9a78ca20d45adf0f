"""The monthly records jobs: the retention purge and the oversight report (s9, s7.1).

Both are durable jobs keyed by month ("retention-purge:2026-12",
"oversight-report:2026-11"), so each month's run is stored once however many replicas
start and however often. `ensure_recurring_jobs` stores the next ones; the server calls
it at start, and each run calls it again, so the chain carries on from month to month and
a server that was down on the 1st catches up when it comes back.

- The purge for month M runs on the 1st of M at 02:00 office time, out of hours.
- The report on month M runs on the 1st of M+1 and is held for office hours.
"""

from __future__ import annotations

from datetime import datetime, time, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.context import Ctx
from dialogs.office import PolicySettings
from dialogs.records import report, retention
from dialogs.records.report import Month
from storage import jobs
from storage.models import ScheduledJob

PURGE = "retention_purge"
REPORT = "oversight_report"
PURGE_AT = time(2, 0)
REPORT_AT = time(7, 0)
ACTOR = "scheduler"


def purge_key(month: Month) -> str:
    return f"retention-purge:{month}"


def report_key(month: Month) -> str:
    return f"oversight-report:{month}"


def _on_the_first(month: Month, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(month.start(zone).date(), at, tzinfo=zone)


async def ensure_recurring_jobs(
    session: AsyncSession, *, now: datetime, policy: PolicySettings
) -> list[str]:
    """Store next month's purge and this month's report unless stored; returns new keys."""
    zone = policy.zone
    this = Month.of(now, zone)
    nxt = this.shift(1)
    wanted = (
        (purge_key(nxt), PURGE, _on_the_first(nxt, PURGE_AT, zone), {"month": str(nxt)}),
        (report_key(this), REPORT, _on_the_first(nxt, REPORT_AT, zone), {"month": str(this)}),
    )
    added = []
    for key, kind, due, payload in wanted:
        if await jobs.schedule(session, key=key, kind=kind, due_at=due, payload=payload):
            added.append(key)
    return added


async def retention_purge(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    planned = await retention.purge(session, now=ctx.now, policy=ctx.policy, actor=ACTOR)
    await ensure_recurring_jobs(session, now=ctx.now, policy=ctx.policy)
    welfare = planned.welfare_checkins
    return f"anonymised {len(planned.people)} cases, deleted {welfare} welfare check-ins" + (
        f"; {len(planned.held_by_request)} held by an open request"
        if planned.held_by_request
        else ""
    )


async def oversight_report(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    month = Month.parse(str(job.payload.get("month", "")))
    sent = await report.deliver(session, ctx, month=month, actor=ACTOR)
    await ensure_recurring_jobs(session, now=ctx.now, policy=ctx.policy)
    return f"oversight report for {month} queued for {sent} people"


HANDLERS = {PURGE: retention_purge, REPORT: oversight_report}
