"""The scheduler: runs durable jobs when they fall due, on one replica or many.

Jobs are claimed with SKIP LOCKED on PostgreSQL (SQLite has a single writer), and each
job's effects and its "done" mark commit together, so with several `serve` replicas
every job runs exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.context import ctx_for
from bot.runtime import Runtime, pause
from dialogs.change import Change
from dialogs.context import Ctx
from dialogs.jobs import run as jobs
from storage import jobs as jobs_repo
from storage.db import DatabaseUnavailable
from storage.models import ScheduledJob
from storage.models.status import JobStatus

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class JobRun:
    key: str
    kind: str
    outcome: str  # done | retry | failed
    summary: str


async def run_due(runtime: Runtime, *, at: datetime | None = None) -> list[JobRun]:
    """Run every job due at `at` (default: now), batch by batch, and say what happened."""
    now = at or runtime.clock()
    ctx = ctx_for(runtime, now)
    done: list[JobRun] = []
    while True:
        try:
            # The batch and every job in it, one hand-off to the database's thread.
            batch = await runtime.db.run(_run_batch(runtime, ctx, now, done))
        except DatabaseUnavailable as exc:
            # Another process holds the database (SQLite has one writer): what is left
            # is still due, and the next pass runs it.
            log.info("scheduler pass stopped early, database busy: %s", exc)
            break
        if len(batch) < BATCH or runtime.stopping.is_set():
            break
    if done:
        runtime.wake_outbox()
    return done


async def _run_batch(
    runtime: Runtime, ctx: Ctx, now: datetime, done: list[JobRun]
) -> list[ScheduledJob]:
    """Claim, run and mark one batch in one transaction; append what happened to `done`."""
    results: list[JobRun] = []
    async with runtime.db.write() as session:
        batch = await jobs_repo.claim_due(session, now=now, limit=BATCH)
        for job in batch:
            job.attempts += 1
            job.claimed_by = runtime.worker_id
            job.claimed_at = now
            try:
                async with session.begin_nested():
                    summary = await jobs.run(Change(session, ctx, "scheduler"), job)
            except Exception as exc:
                log.warning("job %s failed: %r", job.key, exc)
                job.last_error = "".join(traceback.format_exception_only(exc))[:2000]
                if job.attempts >= MAX_ATTEMPTS or isinstance(exc, LookupError):
                    job.status = JobStatus.FAILED
                    results.append(JobRun(job.key, job.kind, "failed", job.last_error.strip()))
                else:
                    job.due_at = now + timedelta(minutes=5 * 2 ** (job.attempts - 1))
                    results.append(JobRun(job.key, job.kind, "retry", job.last_error.strip()))
                continue
            job.status = JobStatus.DONE
            job.done_at = now
            results.append(JobRun(job.key, job.kind, "done", summary))
    # Only once the transaction has committed did these runs happen.
    done.extend(results)
    return batch


async def scheduler_loop(runtime: Runtime) -> None:
    """Run due jobs every `scheduler_interval` seconds until the server stops; and the
    nightly backup, when `[backup]` asks for one."""
    from bot.audit_check import Anchoring
    from bot.backup import NightlyBackups

    backups = NightlyBackups(runtime)
    anchoring = Anchoring(runtime.db, every=runtime.settings.audit.anchor_every_seconds)
    first = True
    while not runtime.stopping.is_set():
        try:
            for run in await run_due(runtime):
                # Not the summary, which names people (`jobs run-due` prints it to the operator).
                log.info("job %s (%s): %s", run.key, run.kind, run.outcome)
            # The audit head, outside the database (docs/security.md, "Audit trail").
            await anchoring.run(runtime.clock(), force=first)
            first = False
            await backups.run_if_due()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler pass failed; trying again shortly")
        await pause(runtime, runtime.scheduler_interval)
    try:
        await anchoring.run(runtime.clock(), force=True)  # the head as the server stops
    except Exception:
        log.exception("could not anchor the audit head at stop")
