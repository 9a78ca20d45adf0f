"""Engine and transactions: one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

BUSY_TIMEOUT_MS = 1500
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    # Under Slack's 3 s ack window, so a writer held up by another process (a CLI command,
    # a backup) still gets its "try again" to the user instead of Slack's own error.
    # Writers in this process queue on the write lock and never reach it.
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA synchronous=NORMAL",
)


# Seconds a session waits for its turn at the pool before the user is asked to try again
# (the pool's own default timeout).
SLOT_TIMEOUT = 30.0
_HOLDS_SLOT: ContextVar[bool] = ContextVar("holds_db_slot", default=False)
# Set (as an event-loop time) by a transport for a change that must be made within a
# platform's window: a Slack view submission is stored before its ack, and Slack waits
# 3 s for that. A write that cannot start, or be ready to commit, by then is rolled back
# with DatabaseUnavailable, so the user is asked to try again, rather than told it failed
# once it was stored.
WRITE_DEADLINE: ContextVar[float | None] = ContextVar("write_deadline", default=None)


class DatabaseUnavailable(Exception):
    """The database could not be reached; the user is asked to try again and nothing changed."""


def _sqlite_setup(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Take BEGIN away from the driver so writes can say BEGIN IMMEDIATE: a deferred
        # transaction that later writes can fail with "database is locked" instead of waiting.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.close()
        _record.info["busy_timeout"] = BUSY_TIMEOUT_MS

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        if conn.get_execution_options().get("sqlite_write"):
            # Wait for another process's write lock no longer than the request has left.
            # Set only when it changes: each statement is a round trip to aiosqlite's thread.
            busy, info = _busy_ms(), conn.connection.info
            if info.get("busy_timeout") != busy:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
                info["busy_timeout"] = busy
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN DEFERRED")


class Database:
    """An engine with two kinds of transaction: `write()` for changes, `read()` for looks."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        pooled = not self.is_sqlite or self.url.database not in (None, "", ":memory:")
        if pooled:
            kwargs.update(pool_size=pool_size, max_overflow=pool_size)
        if not self.is_sqlite:
            kwargs.update(pool_pre_ping=True)
        self.engine = create_async_engine(url, **kwargs)
        # A fair (first come, first served) queue in front of the pool. The pool's own
        # queue lets a newcomer take a connection a waiter was woken for, so under a
        # burst some sessions starve until the pool's 30 s timeout and the user gets an
        # error; here every session waits its turn and the pool never makes anyone wait.
        self._slots = asyncio.Semaphore(2 * pool_size) if pooled else None
        if self.is_sqlite:
            _sqlite_setup(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer; queueing writers here keeps them off SQLite's busy-wait,
        # which would sleep in the driver's thread.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else self.url.get_backend_name()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction for one change: its rows, its audit event and its outbox messages."""
        if self._write_lock is not None:
            await _within_deadline(self._write_lock.acquire())
            try:
                async with self._session(sqlite_write=True) as session:
                    yield session
                    _before_deadline()
            finally:
                self._write_lock.release()
        else:
            async with self._session() as session:
                yield session
                _before_deadline()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._session() as session:
            yield session

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """A turn at the pool; a session opened inside another reuses its turn."""
        if self._slots is None or _HOLDS_SLOT.get():
            yield
            return
        await _within_deadline(self._slots.acquire(), SLOT_TIMEOUT)
        token = _HOLDS_SLOT.set(True)
        try:
            yield
        finally:
            _HOLDS_SLOT.reset(token)
            self._slots.release()

    @asynccontextmanager
    async def _session(self, **options: Any) -> AsyncIterator[AsyncSession]:
        async with self._slot(), self.sessions() as session:
            try:
                async with session.begin():
                    if options:
                        await session.connection(execution_options=options)
                    yield session
            except (OSError, ConnectionError) as exc:
                raise DatabaseUnavailable(str(exc)) from exc
            except Exception as exc:
                if _is_unavailable(exc):
                    raise DatabaseUnavailable(str(exc)) from exc
                raise

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


def _busy_ms() -> int:
    """SQLite's busy timeout for this write: the usual one, or what is left of a deadline.

    The in-process write lock may already have used part of a request's window (a
    background writer waiting on another process's lock holds it), so a view submission
    must not then wait the full busy timeout as well and miss Slack's 3 s.
    """
    deadline = WRITE_DEADLINE.get()
    if deadline is None:
        return BUSY_TIMEOUT_MS
    try:
        left = deadline - asyncio.get_running_loop().time()
    except RuntimeError:
        return BUSY_TIMEOUT_MS
    return max(0, min(BUSY_TIMEOUT_MS, int(left * 1000)))


def _before_deadline() -> None:
    """Past the write deadline, roll back rather than commit what the user will not hear of."""
    deadline = WRITE_DEADLINE.get()
    if deadline is not None and asyncio.get_running_loop().time() > deadline:
        raise DatabaseUnavailable("the change could not be made in time")


async def _within_deadline(acquire: Awaitable[Any], limit: float | None = None) -> None:
    """Wait for a lock or a pool slot, no later than the write deadline (or `limit`)."""
    waits = [limit] if limit is not None else []
    deadline = WRITE_DEADLINE.get()
    if deadline is not None:
        waits.append(max(0.0, deadline - asyncio.get_running_loop().time()))
    if not waits:
        await acquire
        return
    try:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can drop a lock it acquired
        async with asyncio.timeout(min(waits)):
            await acquire
    except TimeoutError as exc:
        raise DatabaseUnavailable("the database is too busy to take this change now") from exc


# SQLSTATE classes that mean "not now" rather than "never": connection exceptions,
# transaction rollbacks (serialization, deadlock), insufficient resources, objects not
# ready (a database not accepting connections, a lock not available) and operator
# intervention (shutdown, pg_terminate_backend, cannot connect now).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "55", "57")


def _is_unavailable(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return bool(exc.connection_invalidated) or sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
