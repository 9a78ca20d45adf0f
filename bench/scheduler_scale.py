"""Figure 3: one claim of a batch of due jobs among a million stored, on both databases.

The table is filled as a long-running office's would be: most jobs done long ago, many
pending far in the future (review reminders), and a band of pending jobs falling due
one second apart. Choosing `now` inside that band sets how many are due without
reloading, so the same million rows give 100, 1,000 and 10,000 due.

What is timed is what the scheduler does: open a write transaction, call
`storage.jobs.claim_due` (the real function, batch of `scheduler.BATCH`), roll back.
The SQL it sent is captured from the engine and explained, so the plan shown is the
plan of the query that ran.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event

from bench import procs
from bench.loadgen import median
from bot.scheduler import BATCH
from storage import jobs
from storage.db import Database

BAND = 10_000  # jobs falling due one second apart
T0 = datetime(2030, 1, 1, tzinfo=UTC)  # the first job of the band falls due here
REPEATS = 15


def _rows(stored: int) -> list[tuple[Any, ...]]:
    """(key, kind, due_at, status, done) for `stored` jobs; BAND of them form the band."""
    rows: list[tuple[Any, ...]] = []
    rest = stored - BAND
    for i in range(BAND):
        rows.append((f"band:{i}", "welfare_followup", T0 + timedelta(seconds=i), "pending"))
    for i in range(rest):
        if i % 2:  # done years ago
            due = T0 - timedelta(days=365 * 3, minutes=i % 500_000)
            rows.append((f"old:{i}", "strategy_review", due, "done"))
        else:  # pending, far in the future
            due = T0 + timedelta(days=30 + i % 700, minutes=i % 1440)
            rows.append((f"future:{i}", "strategy_review", due, "pending"))
    return rows


def _load_sqlite(path: Path, stored: int) -> None:
    conn = sqlite3.connect(path)
    created = T0.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    def fmt(dt: datetime) -> str:
        return dt.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    with conn:
        conn.executemany(
            "INSERT INTO scheduled_jobs (key, kind, due_at, payload, status, attempts, created_at)"
            " VALUES (?, ?, ?, '{}', ?, 0, ?)",
            ((k, kind, fmt(due), status, created) for k, kind, due, status in _rows(stored)),
        )
    conn.close()


async def _load_pg(dsn: str, stored: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "scheduled_jobs",
            records=((k, kind, due, "{}", status, 0, T0) for k, kind, due, status in _rows(stored)),
            columns=["key", "kind", "due_at", "payload", "status", "attempts", "created_at"],
        )
        # What autovacuum does after a bulk load; without it the planner guesses row counts.
        await conn.execute("ANALYZE scheduled_jobs")
    finally:
        await conn.close()


class Captured:
    """The last statement and parameters the engine sent (for EXPLAIN)."""

    def __init__(self, db: Database) -> None:
        self.sql = ""
        self.params: Any = None

        @event.listens_for(db.engine, "before_cursor_execute")
        def _capture(conn: Any, cursor: Any, statement: str, params: Any, *a: Any) -> None:
            if "scheduled_jobs" in statement:
                self.sql, self.params = statement, params


class _Undo(Exception):
    """Rolls a timed claim back, so the next one finds the same jobs due."""


async def _time_claims(db: Database, *, due: int, limit: int) -> tuple[float, int]:
    now = T0 + timedelta(seconds=due - 1, microseconds=500_000)
    times = []
    got = 0

    async def claim() -> int:
        # As the scheduler claims: one transaction, handed to the database in one piece.
        try:
            async with db.write() as session:
                claimed = await jobs.claim_due(session, now=now, limit=limit)
                raise _Undo(len(claimed))
        except _Undo as undo:
            return int(undo.args[0])

    for _ in range(REPEATS):
        start = time.perf_counter()
        got = await db.run(claim())
        times.append((time.perf_counter() - start) * 1000)
    return median(times), got


async def _explain(db: Database, cap: Captured) -> str:
    def explain(conn: Any) -> str:
        if db.is_sqlite:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + cap.sql, cap.params).all()
            return "\n".join(f"{r[0]}|{r[1]}|{r[3]}" for r in rows)
        # ANALYZE runs the claim: on a connection of its own, rolled back as it closes
        rows = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + cap.sql, cap.params
        ).all()
        return "\n".join(r[0] for r in rows)

    return await db.run_sync(explain, begin=False)


async def measure(
    workdir: Path, *, sizes: list[int], dues: list[int], backends: list[str]
) -> dict[str, Any]:
    dbs = procs.Databases(workdir)
    out: dict[str, Any] = {"batch": BATCH, "repeats": REPEATS, "backends": {}}
    try:
        for backend in backends:
            rows = []
            plan = ""
            for stored in sizes:
                url = await dbs.fresh(backend)
                started = time.perf_counter()
                if backend == "sqlite":
                    _load_sqlite(Path(url.split("///", 1)[1]), stored)
                else:
                    await _load_pg(url.replace("postgresql+asyncpg://", "postgresql://"), stored)
                load_s = time.perf_counter() - started
                db = Database(url)
                cap = Captured(db)
                try:
                    for due in dues if stored == max(sizes) else [1000]:
                        batch_ms, got = await _time_claims(db, due=due, limit=BATCH)
                        all_ms, got_all = await _time_claims(db, due=due, limit=due)
                        assert got == min(BATCH, due) and got_all == due, (got, got_all)
                        rows.append(
                            {
                                "stored": stored,
                                "due": due,
                                "batch_ms": batch_ms,
                                "all_due_ms": all_ms,
                                "load_s": load_s,
                            }
                        )
                        if stored == max(sizes) and due == 1000:
                            await _time_claims(db, due=due, limit=BATCH)
                            plan = await _explain(db, cap)
                finally:
                    await db.dispose()
                await dbs.discard(url)
            out["backends"][backend] = {"rows": rows, "plan": plan, "plan_stored": max(sizes)}
    finally:
        await dbs.drop_all()
    return out
