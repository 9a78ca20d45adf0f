"""The storage stack safecontact had before: SQLAlchemy's async session over aiosqlite.

Kept here, for the bench only, so the cost of one report can be measured on the old
stack and the new one in the same run (`bench/driver_cost.py`): the same flows, the same
models and the same database, only the driver layer differs. It does what the old
`storage.db.Database.write()` and `read()` did on SQLite (the same pragmas, BEGIN
IMMEDIATE for writes, one writer at a time), and counts aiosqlite's hand-offs to its
thread: every call SQLAlchemy makes on the connection (execute, fetch, close, ...) is
one trip to that thread and back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from storage import audit_files
from storage.db import SQLITE_PRAGMAS, Counts

T = TypeVar("T")


class AsyncStackDatabase:
    """What `dialogs/` needs of a database (`write`, `read`, `run`), the old way."""

    def __init__(self, url: str) -> None:
        assert url.startswith("sqlite+aiosqlite://"), "the comparison is made on SQLite"
        self.is_sqlite = True
        self.backend = "sqlite"
        self.engine = create_async_engine(url)
        # Today's flows seal their audit events with the key the trail keeps outside the
        # database (storage/audit_files.py); the old stack is handed the same files.
        self.sessions = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            info={audit_files.SESSION_INFO: audit_files.resolve(url)},
        )
        self._write_lock = asyncio.Lock()
        self.counts = Counts()

        @event.listens_for(self.engine.sync_engine, "connect")
        def _connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            for pragma in SQLITE_PRAGMAS:
                cur.execute(pragma)
            cur.close()

        @event.listens_for(self.engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            write = conn.get_execution_options().get("sqlite_write")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")

    def count_handoffs(self) -> None:
        """Count every call aiosqlite hands to its thread (its `_execute`), from now on."""
        import aiosqlite.core

        counts = self.counts
        original = aiosqlite.core.Connection._execute

        async def counted(conn: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            counts.handoffs += 1
            return await original(conn, fn, *args, **kwargs)

        aiosqlite.core.Connection._execute = counted  # type: ignore[method-assign]
        self._restore = (aiosqlite.core.Connection, original)

    def stop_counting(self) -> None:
        cls, original = self._restore
        cls._execute = original  # type: ignore[method-assign]

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await coro

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        async with self._write_lock, self.sessions() as session, session.begin():
            await session.connection(execution_options={"sqlite_write": True})
            yield session
        self.counts.write_transactions += 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
