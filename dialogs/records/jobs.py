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

from dialogs.change import Change
from dialogs.jobs.payloads import OversightReport, RetentionPurge
from dialogs.records.months import Month

PURGE_AT = time(2, 0)
REPORT_AT = time(7, 0)


def _on_the_first(month: Month, at: time, zone: tzinfo) -> datetime:
    return datetime.combine(month.start(zone).date(), at, tzinfo=zone)


async def ensure_recurring_jobs(uow: Change) -> list[str]:
    """Store next month's purge and this month's report unless stored; returns new keys."""
    zone = uow.ctx.zone
    this = Month.of(uow.now, zone)
    nxt = this.shift(1)
    wanted = (
        (RetentionPurge(month=str(nxt)), _on_the_first(nxt, PURGE_AT, zone)),
        (OversightReport(month=str(this)), _on_the_first(nxt, REPORT_AT, zone)),
    )
    return [job.key() for job, due in wanted if await uow.schedule(job, due_at=due)]


# The purge and the report are imported when they run, once a month: every start stores
# the next jobs, and needs none of their code (docs/performance.md, start-up).


async def retention_purge(uow: Change, job: RetentionPurge) -> str:
    from dialogs.records import retention

    planned = await retention.purge(uow)
    await ensure_recurring_jobs(uow)
    welfare = planned.welfare_checkins
    return f"anonymised {len(planned.people)} cases, deleted {welfare} welfare check-ins" + (
        f"; {len(planned.held_by_request)} held by an open request"
        if planned.held_by_request
        else ""
    )


async def oversight_report(uow: Change, job: OversightReport) -> str:
    from dialogs.records.report.delivery import deliver

    month = Month.parse(job.month)
    sent = await deliver(uow, month=month)
    await ensure_recurring_jobs(uow)
    return f"oversight report for {month} queued for {sent} people"


JOBS = {RetentionPurge.kind: retention_purge, OversightReport.kind: oversight_report}
