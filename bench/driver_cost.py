"""Part of figure 2: what one SQL statement costs at each layer, and how many a report takes.

The throughput profile shows SQLite itself doing almost nothing; the CPU goes in the
layers above it. This measures them one by one, in this process, pinned to the servers'
core: the same primary-key SELECT through the standard library's sqlite3 (the floor),
through aiosqlite (whose every call is a hand-off to its own thread and back), and
through SQLAlchemy's async engine as storage/ uses it; then an empty write transaction;
then one real report (`dialogs.incident.submit`), counting its statements. CPU time is
the process's, so aiosqlite's thread is included.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import procs
from bench.loadgen import median

SELECTS = 2000
TRANSACTIONS = 300
REPORTS = 200
REPEATS = 5


def _cpu_us(started: float, n: int) -> float:
    return 1e6 * (time.process_time() - started) / n


async def _repeat(measure: Callable[[], Awaitable[float]]) -> float:
    return median([await measure() for _ in range(REPEATS)])


async def measure(workdir: Path, plan: procs.CpuPlan) -> dict[str, Any]:
    from sqlalchemy import select, text

    from bot.settings import load_settings
    from storage import staff as staff_repo
    from storage.db import Database
    from storage.models import StaffMember

    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, plan.servers)
    dbs = procs.Databases(workdir)
    try:
        url = await dbs.fresh("sqlite")
        path = url.split("///", 1)[1]
        config = workdir / "driver-cost.toml"
        config.write_text(procs.DIRECTORY)
        settings = load_settings(config, database_url=url)
        db = Database(url)
        async with db.write() as session:
            await staff_repo.sync_directory(session, entries=settings.staff)
        statement = "SELECT id FROM staff_members WHERE id = ?"

        async def plain() -> float:
            conn = sqlite3.connect(path)
            started = time.process_time()
            for i in range(SELECTS):
                conn.execute(statement, (i % 3 + 1,)).fetchall()
            conn.close()
            return _cpu_us(started, SELECTS)

        async def threaded() -> float:
            import aiosqlite

            async with aiosqlite.connect(path) as conn:
                started = time.process_time()
                for i in range(SELECTS):
                    async with conn.execute(statement, (i % 3 + 1,)) as cursor:
                        await cursor.fetchall()
                return _cpu_us(started, SELECTS)

        async def orm_core() -> float:
            query = select(StaffMember.id)
            async with db.read() as session:
                started = time.process_time()
                for i in range(SELECTS):
                    (await session.execute(query.where(StaffMember.id == i % 3 + 1))).all()
                return _cpu_us(started, SELECTS)

        async def write_transaction() -> float:
            started = time.process_time()
            for _ in range(TRANSACTIONS):
                async with db.write() as session:
                    await session.execute(text("SELECT 1"))
            return _cpu_us(started, TRANSACTIONS)

        rows = [
            ("sqlite3 (standard library, no event loop)", await _repeat(plain)),
            ("aiosqlite (each call a hand-off to its thread)", await _repeat(threaded)),
            ("SQLAlchemy async, as storage/ reads", await _repeat(orm_core)),
        ]
        transaction = await _repeat(write_transaction)

        report, per_report = await _reports(db, settings)
        await db.dispose()
        return {
            "selects": SELECTS,
            "repeats": REPEATS,
            "layers": rows,
            "write_transaction_us": transaction,
            "report_statements": per_report,
            "report_cpu_ms": report,
        }
    finally:
        await dbs.drop_all()
        os.sched_setaffinity(0, before)


async def _reports(db: Any, settings: Any) -> tuple[float, float]:
    """CPU per stored report through dialogs/, without Slack (ms), and its statements."""
    from sqlalchemy import event

    from dialogs.context import Ctx
    from dialogs.incident import report
    from storage import staff as staff_repo

    now = datetime.now(UTC)
    ctx = Ctx(db=db, organisation=settings.organisation, policy=settings.policy, now=now)
    async with db.read() as session:
        sam = await staff_repo.get_by_email(session, email="sam@example.org")
    values = {
        "new_person_name": "",
        "occurred_at": int((now - timedelta(hours=1)).timestamp()),
        "channel": "telephone",
        "behaviours": ["abuse"],
        "what_happened": "Shouted and swore.",
        "actions_taken": ["warned"],
        "violence": "no",
        **{
            f"s4_{q}": "yes"
            for q in ("explained", "proportionate", "communicated", "support", "rationale")
        },
    }
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    started = time.process_time()
    for i in range(REPORTS):
        values["new_person_name"] = f"Member {i:05d}"
        await report.record(ctx, actor=sam, submitted=values)
    cpu_ms = 1000 * (time.process_time() - started) / REPORTS
    event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return cpu_ms, statements / REPORTS
