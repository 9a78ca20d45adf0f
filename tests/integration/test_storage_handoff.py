"""How a transaction reaches the database (storage/db.py), counted, never timed.

An interaction runs where the database's work runs (`Database.run`), so its write
transaction is one hand-off from the server's loop when the database has a thread of
its own (PostgreSQL, and SQLite when asked) and none when it has not (SQLite). The
directory snapshot answers "is this sender staff?" until a commit writes staff rows.
What crosses threads is safe: waking the outbox, the write deadline, a cancelled caller.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.context import ctx_for
from bot.runtime import Runtime
from dialogs import identity
from dialogs.errors import NotInDirectory
from dialogs.interactions import Turn
from dialogs.registry import registry
from storage import directory_snapshot
from storage import staff as staff_repo
from storage.db import WRITE_DEADLINE, Database, DatabaseUnavailable
from storage.models import Incident, Person
from tests.dialog_world import World, make_world, report_values

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

# SQLite both ways (in place, as it runs, and on a thread of its own), PostgreSQL as it runs.
pytestmark = pytest.mark.parametrize(
    ("fresh_db_url", "threaded"),
    [("sqlite", False), ("sqlite", True), ("postgresql", True)],
    indirect=["fresh_db_url"],
    ids=["sqlite", "sqlite-threaded", "postgresql-threaded"],
)


@pytest.fixture
async def world(fresh_db_url: str, threaded: bool) -> AsyncIterator[World]:
    db = Database(fresh_db_url, threaded=threaded)
    yield await make_world(db)
    await db.dispose()


def values(name: str) -> dict[str, Any]:
    return report_values(NOW, new_person_name=name)


async def incidents(db: Database) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(Incident))).scalar_one()


async def test_a_report_is_one_write_transaction_in_one_hand_off(world: World) -> None:
    db, ctx = world.db, world.ctx(NOW)
    actor = await identity.resolve(ctx, platform="slack", user_id="U0SAM")
    submit = registry().forms["incident"].submit
    handoffs, writes = db.counts.handoffs, db.counts.write_transactions

    answer = await submit(Turn(ctx, actor), values("Morgan Example"), {})

    assert "saved as" in answer
    assert db.counts.write_transactions - writes == 1
    # Through its own thread: one hand-off for the whole transaction; without: none.
    assert db.counts.handoffs - handoffs == (1 if db.threaded else 0)
    assert await incidents(db) == 1


async def test_a_transaction_from_elsewhere_hands_over_each_call(world: World) -> None:
    """What the count above would be without `Database.run`: the counter counts."""
    db = world.db
    if not db.threaded:
        pytest.skip("without a thread of its own every call is made in place")
    handoffs = db.counts.handoffs
    async with db.write() as session:
        session.add(Person(reference="SC-2026-09999", name="Alex", created_at=NOW))
        await session.flush()
        await session.execute(select(func.count()).select_from(Person))
    # the open, the flush, the query, the commit
    assert db.counts.handoffs - handoffs == 4


async def test_the_directory_snapshot_is_dropped_by_a_sync_and_kept_by_a_report(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing is rechecked by time in this test: only the commit drops the snapshot.
    monkeypatch.setattr(directory_snapshot, "RECHECK_SECONDS", 3600.0)
    db, ctx = world.db, world.ctx(NOW)
    snapshot = directory_snapshot.of(db)
    sam = await identity.resolve(ctx, platform="slack", user_id="U0SAM")
    assert sam.name == "Sam Patel" and sam.role_names == {"staff"}
    reads = snapshot.reads

    await registry().forms["incident"].submit(Turn(ctx, sam), values("Morgan"), {})
    await identity.resolve(ctx, platform="slack", user_id="U0SAM")
    assert snapshot.reads == reads  # a report writes no staff rows

    # A change that rolls back changes nothing, so drops nothing.
    with pytest.raises(RuntimeError):
        async with db.write() as session:
            member = await staff_repo.get_by_email(session, email="sam@example.org")
            assert member is not None
            member.in_directory = False
            await session.flush()
            raise RuntimeError("rolled back")
    await identity.resolve(ctx, platform="slack", user_id="U0SAM")
    assert snapshot.reads == reads

    # Sam leaves the directory: the sync's commit drops the snapshot, the next look reads.
    without_sam = [e for e in world.settings.staff if e.email != "sam@example.org"]
    async with db.write() as session:
        await staff_repo.sync_directory(session, entries=without_sam)
    with pytest.raises(NotInDirectory):
        await identity.resolve(ctx, platform="slack", user_id="U0SAM")
    assert snapshot.reads == reads + 1


async def test_a_sync_by_another_process_is_seen_by_the_tables_signature(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, ctx = world.db, world.ctx(NOW)
    await identity.resolve(ctx, platform="slack", user_id="U0SAM")
    other = Database(db.url.render_as_string(hide_password=False))  # another replica
    try:
        without_sam = [e for e in world.settings.staff if e.email != "sam@example.org"]
        async with other.write() as session:
            await staff_repo.sync_directory(session, entries=without_sam)
    finally:
        await other.dispose()
    monkeypatch.setattr(directory_snapshot, "RECHECK_SECONDS", 0.0)
    with pytest.raises(NotInDirectory):
        await identity.resolve(ctx, platform="slack", user_id="U0SAM")
    # Someone never in the directory is told whom to ask, from the same snapshot.
    with pytest.raises(NotInDirectory):
        await identity.resolve(ctx, platform="slack", user_id="U0NOBODY")


async def test_waking_the_outbox_from_the_database_thread_wakes_the_server_loop(
    world: World,
) -> None:
    db = world.db
    runtime = Runtime(settings=world.settings, db=db)
    runtime.loop = asyncio.get_running_loop()
    ctx = ctx_for(runtime)
    woken = asyncio.ensure_future(runtime.outbox_wakeup.wait())
    threads: list[int] = []

    async def change_on_the_database_side() -> None:
        threads.append(threading.get_ident())
        ctx.wake_outbox()

    await db.run(change_on_the_database_side())
    assert await asyncio.wait_for(woken, 10) is True
    here = threading.get_ident()
    assert (threads[0] != here) == db.threaded


async def test_a_write_past_its_deadline_is_refused_where_it_runs(world: World) -> None:
    db = world.db

    async def store() -> None:
        async with db.write() as session:
            session.add(Person(reference="SC-2026-09998", name="Late", created_at=NOW))

    token = WRITE_DEADLINE.set(asyncio.get_running_loop().time() - 1)
    try:
        with pytest.raises(DatabaseUnavailable):
            await db.run(store())
    finally:
        WRITE_DEADLINE.reset(token)
    await db.run(store())  # without a deadline it goes through
    async with db.read() as session:
        names = (await session.execute(select(Person.name))).scalars().all()
    assert names == ["Late"]


async def test_a_caller_cancelled_mid_transaction_leaves_the_database_free(world: World) -> None:
    db = world.db
    inside = asyncio.Event()

    async def held() -> None:
        async with db.write() as session:
            session.add(Person(reference="SC-2026-09997", name="Held", created_at=NOW))
            await session.flush()
            inside.set()
            await asyncio.Event().wait()  # until cancelled

    task = asyncio.ensure_future(held())
    await asyncio.wait_for(inside.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def store() -> None:
        async with db.write() as session:
            session.add(Person(reference="SC-2026-09996", name="Next", created_at=NOW))

    await asyncio.wait_for(db.run(store()), 10)  # the write lock was given back
    async with db.read() as session:
        names = (await session.execute(select(Person.name))).scalars().all()
    assert names == ["Next"]  # the cancelled change was rolled back


async def test_sqlite_locked_by_another_process_is_waited_for_without_blocking_the_loop(
    world: World,
) -> None:
    if not world.db.is_sqlite or world.db.threaded:
        pytest.skip("the wait in place is SQLite's, on the caller's own loop")
    db = world.db
    other = sqlite3.connect(str(db.url.database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write lock
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    async def store() -> None:
        async with db.write() as session:
            session.add(Person(reference="SC-2026-09995", name="Waits", created_at=NOW))

    beat = asyncio.ensure_future(ticker())
    token = WRITE_DEADLINE.set(asyncio.get_running_loop().time() + 0.5)
    try:
        with pytest.raises(DatabaseUnavailable):
            await db.run(store())
    finally:
        WRITE_DEADLINE.reset(token)
        stop.set()
        await beat
        other.execute("ROLLBACK")
        other.close()
    assert ticks > 1  # the loop went on while the write waited for the lock
    await db.run(store())  # and once the lock is free, it goes through
    assert [p for p in await _names(db)] == ["Waits"]


async def _names(db: Database) -> list[str]:
    async with db.read() as session:
        return list((await session.execute(select(Person.name))).scalars())


async def test_a_postgresql_connection_killed_while_idle_is_replaced_before_use(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every pooled connection idle past PING_AFTER_IDLE is checked on its way out of the
    pool: one whose backend was killed is replaced, and the change goes through."""
    if world.db.is_sqlite:
        pytest.skip("SQLite has no server to lose its connections")
    from storage import db as db_module
    from tests.e2e.test_resilience_faults import _terminate_backends

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)
    db = world.db

    async def store(name: str) -> None:
        async with db.write() as session:
            session.add(Person(reference=f"SC-2026-{len(name):05d}", name=name, created_at=NOW))

    await db.run(store("Before"))
    await _terminate_backends(str(db.url.database))
    await db.run(store("After it"))  # no "try again": the dead connection was replaced
    assert await _names(db) == ["Before", "After it"]
