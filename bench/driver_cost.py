"""Part of figure 2: what a statement, a transaction and a report cost at each layer.

All in this process, pinned to the servers' core, and CPU time is the process's (every
thread's). Each layer is measured in the same run, so they compare as ratios:

- the same primary-key SELECT through the standard library's sqlite3 (the floor), through
  aiosqlite (every call a hand-off to its own thread and back), through the async stack
  safecontact had (SQLAlchemy's async session over aiosqlite, `bench/async_stack.py`),
  through the synchronous session on the database's thread as `storage/db.py` runs it
  now, and through that session from another thread (each call its own hand-off);
- a write transaction holding one statement, the old way and the new;
- one real report (`dialogs.incident.report.record`), the old way and the new, with
  its statements and the hand-offs its transaction takes; on PostgreSQL, the new way.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from bench import procs, slack_requests
from bench.loadgen import median

SELECTS = 2000
TRANSACTIONS = 300
REPORTS = 200
REPEATS = 5
PARSES = 500


def _cpu_us(started: float, n: int) -> float:
    return 1e6 * (time.process_time() - started) / n


async def _repeat(measure: Callable[[], Awaitable[float]]) -> float:
    return median([await measure() for _ in range(REPEATS)])


async def measure(workdir: Path, plan: procs.CpuPlan, backends: list[str]) -> dict[str, Any]:
    from sqlalchemy import select, text

    from bench.async_stack import AsyncStackDatabase
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
        old = AsyncStackDatabase(url)
        async with db.write() as session:
            await staff_repo.sync_directory(session, entries=settings.staff)
        statement = "SELECT id FROM staff_members WHERE id = ?"
        query = select(StaffMember.id)

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

        async def selects(database: Any) -> float:
            async with database.read() as session:
                started = time.process_time()
                for i in range(SELECTS):
                    (await session.execute(query.where(StaffMember.id == i % 3 + 1))).all()
                return _cpu_us(started, SELECTS)

        async def old_selects() -> float:
            return await selects(old)

        async def new_selects() -> float:
            return await db.run(selects(db))

        async def transactions(database: Any, handed: bool) -> float:
            async def one() -> None:
                async with database.write() as session:
                    await session.execute(text("SELECT 1"))

            started = time.process_time()
            for _ in range(TRANSACTIONS):
                await (database.run(one()) if handed else one())
            return _cpu_us(started, TRANSACTIONS)

        async def old_transactions() -> float:
            return await transactions(old, False)

        async def new_transactions() -> float:
            return await transactions(db, True)

        threaded_db = Database(url, threaded=True)

        async def threaded_selects() -> float:
            return await threaded_db.run(selects(threaded_db))

        async def hop_selects() -> float:
            return await selects(threaded_db)

        reports = {
            "before": await _reports(old, settings, handed=False),
            "now": await _reports(db, settings, handed=True),
            "now, on a thread of its own": await _reports(threaded_db, settings, handed=True),
        }
        one_report = reports["now"].pop("replay")
        for stack in ("before", "now, on a thread of its own"):
            reports[stack].pop("replay")
        # On an empty copy (the report's rows are in this one), without foreign keys.
        floor, handed = await _replays((await dbs.fresh("sqlite")).split("///", 1)[1], one_report)
        layers = [
            (
                "sqlite3 (standard library, no event loop)",
                await _repeat(plain),
                floor,
            ),
            (
                "aiosqlite (each call a hand-off to its thread)",
                await _repeat(threaded),
                handed,
            ),
            (
                "before: SQLAlchemy async session over aiosqlite",
                await _repeat(old_selects),
                reports["before"]["cpu_ms"],
            ),
            (
                "now: SQLAlchemy session, in place on the server's loop (SQLite)",
                await _repeat(new_selects),
                reports["now"]["cpu_ms"],
            ),
            (
                "now: the same on a thread of its own (as PostgreSQL runs)",
                await _repeat(threaded_selects),
                reports["now, on a thread of its own"]["cpu_ms"],
            ),
            (
                "the same session used from another thread (each call a hand-off)",
                await _repeat(hop_selects),
                None,
            ),
        ]
        write_old = await _repeat(old_transactions)
        write_new = await _repeat(new_transactions)
        await threaded_db.dispose()
        if "postgresql" in backends:
            pg_url = await dbs.fresh("postgresql")
            pg = Database(pg_url)
            async with pg.write() as session:
                await staff_repo.sync_directory(session, entries=settings.staff)
            reports["now, postgresql"] = await _reports(pg, settings, handed=True)
            reports["now, postgresql"].pop("replay")
            await pg.dispose()
        parse = _parse_cost(settings)
        await old.dispose()
        await db.dispose()
        return {
            "selects": SELECTS,
            "repeats": REPEATS,
            "layers": layers,
            "report_statements": len(one_report),
            "write_transaction_us": {"before": write_old, "now": write_new},
            "reports": reports,
            "parse": parse,
        }
    finally:
        await dbs.drop_all()
        os.sched_setaffinity(0, before)


async def _reports(db: Any, settings: Any, *, handed: bool) -> dict[str, float]:
    """One stored report through dialogs/ (no Slack, no delivery): its CPU (ms), its
    statements, and the hand-offs to the driver's thread each write transaction took."""
    from sqlalchemy import event

    from dialogs.context import Ctx
    from dialogs.incident import report
    from storage import staff as staff_repo
    from storage.db import Database

    now = datetime.now(UTC)
    ctx = Ctx(db=db, organisation=settings.organisation, policy=settings.policy, now=now)
    async with db.read() as session:
        sam = await staff_repo.get_by_email(session, email="sam@example.org")
    # The same answers the load generator sends: a new member of the public each time.
    answers = [slack_requests.incident_answers(i) for i in range(REPORTS)]
    statements = 0
    replay: list[tuple[str, Any, bool]] = []

    def count(_conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool) -> None:
        nonlocal statements
        statements += 1
        replay.append((sql, params, many))

    engine = db.engine if isinstance(db, Database) else db.engine.sync_engine
    if not isinstance(db, Database):
        db.count_handoffs()
    event.listen(engine, "before_cursor_execute", count)
    handoffs, writes = db.counts.handoffs, db.counts.write_transactions
    started = time.process_time()
    for values in answers:
        one = report.record(ctx, actor=sam, submitted=values)
        await (db.run(one) if handed else one)
    cpu_ms = 1000 * (time.process_time() - started) / REPORTS
    event.remove(engine, "before_cursor_execute", count)
    if not isinstance(db, Database):
        db.stop_counting()
    handoffs, writes = db.counts.handoffs - handoffs, db.counts.write_transactions - writes
    per_report = statements // REPORTS
    return {
        "cpu_ms": cpu_ms,
        "statements": statements / REPORTS,
        "handoffs_per_write": handoffs / max(1, writes),
        # one report's statements, as the driver was given them (the last report's)
        "replay": replay[-per_report:],
    }


async def _replays(path: str, statements: list[tuple[str, Any, bool]]) -> tuple[float, float]:
    """One report's own statements sent straight to sqlite3, then through aiosqlite (CPU
    ms a report): the floor under each stack. Each replay rolls back, so it can repeat;
    the ids it refers to are the original's, so foreign keys are left off."""
    import aiosqlite

    def plain() -> float:
        conn = sqlite3.connect(path, isolation_level=None)
        started = time.process_time()
        for _ in range(REPORTS):
            for sql, params, many in statements:
                if many:
                    conn.executemany(sql, params).fetchall()
                else:
                    conn.execute(sql, params).fetchall()
            conn.execute("ROLLBACK")
        conn.close()
        return 1000 * (time.process_time() - started) / REPORTS

    async def handed() -> float:
        async with aiosqlite.connect(path, isolation_level=None) as conn:
            started = time.process_time()
            for _ in range(REPORTS):
                for sql, params, many in statements:
                    if many:
                        cursor = await conn.executemany(sql, params)
                    else:
                        cursor = await conn.execute(sql, params)
                    await cursor.fetchall()
                    await cursor.close()
                await conn.execute("ROLLBACK")
            return 1000 * (time.process_time() - started) / REPORTS

    return median([plain() for _ in range(REPEATS)]), median(
        [await handed() for _ in range(REPEATS)]
    )


def _parse_cost(settings: Any) -> dict[str, float]:
    """What bolt spends reading one incident submission's body (urllib's parse_qsl and
    unquote, then json), against the fastest way the same body can be read: the
    standard library's C quoted-printable decoder after turning %XX into =XX."""
    import binascii

    from slack_bolt.request.internals import parse_body

    from bot.slack.context import form_view
    from dialogs.context import Ctx
    from dialogs.incident.form import incident_form

    now = datetime.now(UTC)
    ctx = Ctx(db=None, organisation=settings.organisation, policy=settings.policy, now=now)  # type: ignore[arg-type]
    view = form_view(incident_form(ctx))
    payload = slack_requests.submission("U0SAM", view, slack_requests.incident_answers(1))
    body = slack_requests.interaction(payload)

    def bolt() -> Any:
        return parse_body(body, slack_requests.FORM)

    def fast() -> Any:
        value = body.removeprefix("payload=").replace("+", " ").replace("%", "=")
        return json.loads(binascii.a2b_qp(value).decode("utf-8", "replace"))

    assert bolt() == fast()
    payload_json = dict(parse_qsl(body))["payload"]

    def json_alone() -> Any:
        return json.loads(payload_json)

    def cost(fn: Callable[[], Any]) -> float:
        started = time.process_time()
        for _ in range(PARSES):
            fn()
        return _cpu_us(started, PARSES)

    return {
        "body_bytes": len(body),
        "escapes": body.count("%"),
        "bolt_us": median([cost(bolt) for _ in range(REPEATS)]),
        "fast_us": median([cost(fast) for _ in range(REPEATS)]),
        "json_us": median([cost(json_alone) for _ in range(REPEATS)]),
    }
