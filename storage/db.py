"""Engine and transactions: one place that knows SQLite from PostgreSQL.

Code gets a synchronous SQLAlchemy session (the standard library's `sqlite3`, or
psycopg, underneath) behind a thin async face: `async with db.write()` and `db.read()`
as before, with awaits that complete at once where the database's work runs: a thread
with an event loop of its own, one per process. `Database.run` hands a whole interaction
there, so its transaction, however many statements, is one hand-off from the server's
loop; a session opened from anywhere else hands each call over on its own (correct, and
as costly as the async drivers were). The server's own loop never makes a database call
(DESIGN.md, rules of the house): for SQLite that costs some throughput on one core (the
two threads pass the interpreter's lock back and forth), which docs/performance.md
measures against running in place (`SAFECONTACT_DB_THREAD=0`, for the bench only).

The configured URL keeps the names operators know (`sqlite+aiosqlite:///...`,
`postgresql+asyncpg://...`); the driver behind it is chosen here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction, sessionmaker

from storage import audit_files
from storage.audit_files import AuditFiles

T = TypeVar("T")

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
# Set (as a time.monotonic() reading, which is every event loop's clock here) by a
# transport for a change that must be made within a platform's window: a Slack view
# submission is stored before its ack, and Slack waits 3 s for that. A write that cannot
# start, or be ready to commit, by then is rolled back with DatabaseUnavailable, so the
# user is asked to try again, rather than told it failed once it was stored.
WRITE_DEADLINE: ContextVar[float | None] = ContextVar("write_deadline", default=None)

# ORM results read whole at execute, as the async session did: nothing is left pending
# on a connection while the flow goes on.
_EXECUTE_OPTIONS = {"prebuffer_rows": True}


class DatabaseUnavailable(Exception):
    """The database could not be reached; the user is asked to try again and nothing changed."""


class _RolledBack(BaseException):
    """Tells the task holding a transaction for another thread to roll it back."""


@dataclass
class Counts:
    """Counted, not timed, for the tests and the bench: how many times work was handed
    to the database's thread, and how many write transactions committed."""

    handoffs: int = 0
    write_transactions: int = 0


def sync_url(url: URL) -> URL:
    """The same database through a synchronous driver: sqlite3, or psycopg."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    if backend == "postgresql":
        query = dict(url.query)
        ssl = query.pop("ssl", None)  # asyncpg's name for libpq's sslmode
        if ssl and "sslmode" not in query:
            query["sslmode"] = "require" if ssl in ("true", "True", "1") else str(ssl)
        return url.set(drivername="postgresql+psycopg", query=query)
    return url


def _sqlite_setup(engine: Engine, *, busy_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Take BEGIN away from the driver so writes can say BEGIN IMMEDIATE: a deferred
        # transaction that later writes can fail with "database is locked" instead of waiting.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.close()
        _record.info["busy_timeout"] = busy_ms

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("sqlite_write"):
            # Wait for another process's write lock no longer than the request has left
            # (not at all when the wait is made here, off the driver, with asyncio).
            # Set only when it changes.
            busy = options.get("sqlite_busy_ms", busy_ms)
            busy, info = min(busy, _busy_ms()), conn.connection.info
            if info.get("busy_timeout") != busy:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={busy}")
                info["busy_timeout"] = busy
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN DEFERRED")


# Seconds a PostgreSQL connection may sit in the pool before it is checked on its way
# out. One in constant use is not: the check is a round trip, one in six of a report's
# (docs/performance.md), and a backend killed under load fails its next statement with
# "try again" as surely as one killed mid-transaction.
PING_AFTER_IDLE = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, for connections that were idle: a dead one is replaced
    before any statement (the pool's documented use of DisconnectionError)."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return  # just connected, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError("the pooled connection was gone") from exc
        if not alive:
            raise DisconnectionError("the pooled connection was gone")


class _Gates:
    """The write lock and the turns at the pool, for the one event loop that waits on them."""

    def __init__(self, slots: int | None) -> None:
        self.write_lock = asyncio.Lock()
        self.slots = asyncio.Semaphore(slots) if slots else None


class _Worker:
    """The database's thread and the event loop it runs; see the module docstring."""

    def __init__(self, name: str, slots: int | None) -> None:
        self.loop = asyncio.new_event_loop()
        # They belong to this loop: everything that waits for them runs on it.
        self.gates = _Gates(slots)
        ready = threading.Event()
        self.thread = threading.Thread(target=self._main, args=(ready,), name=name, daemon=True)
        self.thread.start()
        ready.wait()

    def _main(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(ready.set)
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def here(self) -> bool:
        return threading.get_ident() == self.thread.ident

    def run(self, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        """Run a coroutine on this loop, in the caller's context (its deadline)."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Awaitable[T]:
        """Run one synchronous call on this thread, in the caller's context."""
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def call() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                done.set_exception(exc)

        self.loop.call_soon_threadsafe(call, context=contextvars.copy_context())
        return asyncio.wrap_future(done)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join()


class Session:
    """What a transaction hands its code: SQLAlchemy's session, spoken to with `await`.

    On the database's thread every call is made at once; from anywhere else each call is
    handed to that thread. Only the calls storage/ and dialogs/ use are here.
    """

    def __init__(
        self, sync_session: OrmSession, worker: _Worker | None = None, counts: Counts | None = None
    ) -> None:
        self.sync_session = sync_session
        # None: on the database's thread, so no hand-off
        self._worker = worker
        self._counts = counts

    async def _do(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._worker is None:
            return fn(*args, **kwargs)
        if self._counts is not None:
            self._counts.handoffs += 1
        return await self._worker.call(fn, *args, **kwargs)

    @property
    def bind(self) -> Any:
        return self.sync_session.bind

    @property
    def info(self) -> dict[str, Any]:
        return self.sync_session.info

    def add(self, row: Any) -> None:
        self.sync_session.add(row)

    def add_all(self, rows: Any) -> None:
        self.sync_session.add_all(rows)

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        options = kwargs.pop("execution_options", None)
        options = {**options, **_EXECUTE_OPTIONS} if options else _EXECUTE_OPTIONS
        return await self._do(
            self.sync_session.execute, statement, params, execution_options=options, **kwargs
        )

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return await self._do(self.sync_session.scalar, statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return (await self.execute(statement, params, **kwargs)).scalars()

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return await self._do(self.sync_session.get, entity, ident, **kwargs)

    async def flush(self) -> None:
        await self._do(self.sync_session.flush)

    async def merge(self, row: T, *, load: bool = True) -> T:
        return await self._do(self.sync_session.merge, row, load=load)

    async def refresh(self, row: Any, **kwargs: Any) -> None:
        await self._do(self.sync_session.refresh, row, **kwargs)

    async def delete(self, row: Any) -> None:
        await self._do(self.sync_session.delete, row)

    def expunge_all(self) -> None:
        self.sync_session.expunge_all()

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(sync_session, ...)` where the session's work runs (as AsyncSession.run_sync):
        for storage/ code that speaks to the connection directly."""
        return await self._do(fn, self.sync_session, *args, **kwargs)

    async def connection(self, **kwargs: Any) -> Connection:
        return await self._do(self.sync_session.connection, **kwargs)

    async def rollback(self) -> None:
        await self._do(self.sync_session.rollback)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[SessionTransaction]:
        """A savepoint: what the body did is undone if it raises, and the rest stands."""
        nested = await self._do(self.sync_session.begin_nested)
        try:
            yield nested
        except BaseException:
            if nested.is_active:
                await self._do(nested.rollback)
            raise
        if nested.is_active:
            await self._do(nested.commit)


# What storage/ and dialogs/ annotate a session with (it was SQLAlchemy's AsyncSession,
# whose module costs start-up a twentieth of a second to import).
AsyncSession = Session


class Database:
    """An engine with two kinds of transaction: `write()` for changes, `read()` for looks.

    `run(coro)` runs a coroutine where the database's work runs (its thread, or at once
    when it has none), so every `write()` and `read()` it opens is made without a
    hand-off; bot/ runs each interaction, each delivery pass and each scheduler batch
    that way.
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        threaded: bool | None = None,
        audit: AuditFiles | None = None,
    ) -> None:
        self.url = make_url(url)
        # The audit trail's key and anchors, outside the database (storage/audit_files.py).
        self.audit = audit if audit is not None else audit_files.resolve(self.url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        # SQLite runs on the caller's own thread and PostgreSQL on a thread of its own;
        # see the module docstring for why (and `threaded` to measure the other way).
        self.threaded = _threaded() if threaded is None else threaded
        # A database error's message leaves out the statement's values: they are names
        # and what people wrote, and such messages reach logs and job records.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        pooled = not self.is_sqlite or self.url.database not in (None, "", ":memory:")
        if pooled:
            # Twice the turns at the pool: a session opened inside another (a read inside
            # a write) shares its turn but needs a connection of its own.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_timeout=SLOT_TIMEOUT)
        self.engine = create_engine(sync_url(self.url), **kwargs)
        if not self.is_sqlite:
            _ping_when_idle(self.engine)
        if self.is_sqlite:
            # On the caller's thread nothing may wait inside the driver: another process's
            # write lock is waited for with asyncio instead (`_begin_immediate`).
            _sqlite_setup(self.engine, busy_ms=BUSY_TIMEOUT_MS if self.threaded else 0)
        self.sessions = sessionmaker(
            self.engine, expire_on_commit=False, info={audit_files.SESSION_INFO: self.audit}
        )
        # A fair (first come, first served) queue in front of the pool: a session waits
        # for its turn on an event loop, never inside the pool, which would block the
        # thread every other session needs.
        self._slot_count = pool_size if pooled else None
        self._worker: _Worker | None = None
        self._worker_guard = threading.Lock()
        # Without a thread of its own: the gates of each event loop that uses it.
        self._loop_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gates] = (
            weakref.WeakKeyDictionary()
        )
        self.counts = Counts()

    @property
    def backend(self) -> str:
        return "sqlite" if self.is_sqlite else self.url.get_backend_name()

    # -- where the work runs ---------------------------------------------------------

    def _ensure_worker(self) -> _Worker:
        worker = self._worker
        if worker is None:
            with self._worker_guard:
                worker = self._worker
                if worker is None:
                    name = f"db-{self.backend}-{id(self):x}"
                    worker = self._worker = _Worker(name, self._slot_count)
        return worker

    def on_thread(self) -> bool:
        """True where sessions are made without a hand-off: on the database's own thread,
        or anywhere when it has none."""
        if not self.threaded:
            return True
        worker = self._worker
        return worker is not None and worker.here()

    def _gates(self) -> _Gates:
        if self.threaded:
            return self._ensure_worker().gates
        loop = asyncio.get_running_loop()
        gates = self._loop_gates.get(loop)
        if gates is None:
            gates = self._loop_gates[loop] = _Gates(self._slot_count)
        return gates

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the database's thread (at once, when already there).

        Every transaction it opens is then made without a hand-off; the caller's context
        (the write deadline) goes with it. The coroutine may await anything, but whatever
        it awaits runs on the database's loop: it must not use the server's own objects
        (an aiohttp session, an asyncio.Event of the server's loop).
        """
        if self.on_thread():
            return await coro
        return await self._submit(self._ensure_worker(), coro)

    def _submit(self, worker: _Worker, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        self.counts.handoffs += 1
        return worker.run(coro)

    async def run_sync(self, fn: Callable[[Connection], T], *, begin: bool = True) -> T:
        """Call `fn(connection)` on the database's thread, in a transaction when `begin`
        (Alembic's migrations and checks)."""

        def call() -> T:
            context = self.engine.begin() if begin else self.engine.connect()
            with context as conn:
                return fn(conn)

        if self.on_thread():
            return call()
        self.counts.handoffs += 1
        return await self._ensure_worker().call(call)

    # -- transactions ----------------------------------------------------------------

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Session]:
        """One transaction for one change: its rows, its audit event and its outbox messages.

        One writer at a time in this process, on both databases: SQLite has one writer
        anyway, and on PostgreSQL every change locks the audit chain's head, so nothing
        is lost; and a writer that waits for another's row lock must not hold up the
        thread the other needs to finish.
        """
        async with self._open(write=True) as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Session]:
        async with self._open(write=False) as session:
            yield session

    @asynccontextmanager
    async def _open(self, *, write: bool) -> AsyncIterator[Session]:
        if self.on_thread():
            async with self._here(write=write) as sync_session:
                yield Session(sync_session, None)
            return
        # Elsewhere: a task on the database's loop holds the transaction open, and each
        # call the body makes is handed over on its own.
        worker = self._ensure_worker()
        opened: asyncio.Future[OrmSession] = asyncio.get_running_loop().create_future()
        # Set by the body's end: True to roll back, False to commit.
        finish: concurrent.futures.Future[bool] = concurrent.futures.Future()
        holder = asyncio.ensure_future(self._submit(worker, self._hold(write, opened, finish)))
        try:
            await asyncio.wait([opened, holder], return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            finish.set_result(True)
            holder.cancel()
            raise
        if not opened.done():
            opened.cancel()
            await holder  # raises why it could not open
            raise DatabaseUnavailable("the database session closed before it opened")
        token = _HOLDS_SLOT.set(True)
        try:
            yield Session(opened.result(), worker, self.counts)
        except BaseException as exc:
            finish.set_result(True)
            self.counts.handoffs += 1
            with contextlib.suppress(_RolledBack):
                await holder
            mapped = _unavailable(exc)
            if mapped is not None:
                raise mapped from exc
            raise
        else:
            finish.set_result(False)
            self.counts.handoffs += 1
            await holder
        finally:
            _HOLDS_SLOT.reset(token)

    async def _hold(
        self,
        write: bool,
        opened: asyncio.Future[OrmSession],
        finish: concurrent.futures.Future[bool],
    ) -> None:
        caller = opened.get_loop()
        async with self._here(write=write) as sync_session:
            caller.call_soon_threadsafe(_set_if_waiting, opened, sync_session)
            if await asyncio.wrap_future(finish):
                raise _RolledBack

    @asynccontextmanager
    async def _here(self, *, write: bool) -> AsyncIterator[OrmSession]:
        """A transaction made where the database's work runs; the write lock and the pool
        are waited for on its event loop, so the thread is never blocked waiting for
        another transaction of this process."""
        gates = self._gates()
        if write:
            await _within_deadline(gates.write_lock.acquire())
        try:
            async with self._slot(gates):
                session = self.sessions()
                try:
                    session.begin()
                    if write and self.is_sqlite:
                        await self._begin_immediate(session)
                    yield session
                    if write:
                        check_write_deadline()
                    session.commit()
                except BaseException as exc:
                    with contextlib.suppress(Exception):  # the connection may be gone
                        session.rollback()
                    mapped = _unavailable(exc) if isinstance(exc, Exception) else None
                    if mapped is not None:
                        raise mapped from exc
                    raise
                finally:
                    session.close()
            if write:
                self.counts.write_transactions += 1
        finally:
            if write:
                gates.write_lock.release()

    async def _begin_immediate(self, session: OrmSession) -> None:
        """Take SQLite's write lock. On the database's thread the driver waits for another
        process's lock (at most the deadline's remainder); on the caller's own thread it
        must not, so a busy answer is retried here, with asyncio, for as long."""
        if self.threaded:
            session.connection(execution_options={"sqlite_write": True})
            return
        loop = asyncio.get_running_loop()
        give_up = loop.time() + _busy_ms() / 1000
        pause = 0.002
        while True:
            try:
                session.connection(execution_options={"sqlite_write": True, "sqlite_busy_ms": 0})
                return
            except OperationalError as exc:
                if "locked" not in str(exc) or loop.time() + pause > give_up:
                    raise
            session.rollback()
            await asyncio.sleep(pause)
            pause = min(2 * pause, 0.05)

    @asynccontextmanager
    async def _slot(self, gates: _Gates) -> AsyncIterator[None]:
        """A turn at the pool; a session opened inside another reuses its turn."""
        if gates.slots is None or _HOLDS_SLOT.get():
            yield
            return
        await _within_deadline(gates.slots.acquire(), SLOT_TIMEOUT)
        token = _HOLDS_SLOT.set(True)
        try:
            yield
        finally:
            _HOLDS_SLOT.reset(token)
            gates.slots.release()

    # -- the rest --------------------------------------------------------------------

    async def ping(self) -> bool:
        def select_one(conn: Connection) -> None:
            conn.execute(text("SELECT 1"))

        try:
            await self.run_sync(select_one, begin=False)
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        """Close every connection and stop the thread; the next use starts them again."""
        worker = self._worker
        if worker is None:
            self.engine.dispose()
            return
        if worker.here():
            raise RuntimeError("dispose() from the database's own thread")
        await worker.call(self.engine.dispose)
        with self._worker_guard:
            self._worker = None
        worker.stop()


def upsert_for(dialect: str) -> Any:
    """The dialect's INSERT, with its ON CONFLICT clauses; imported when first needed, as
    PostgreSQL's module is not worth importing on a SQLite server's start."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def upsert_once(built: dict[str, T], dialect: str, build: Callable[[Any], T]) -> T:
    """A statement using the dialect's INSERT, built on first use and kept in `built`."""
    stmt = built.get(dialect)
    if stmt is None:
        stmt = built[dialect] = build(upsert_for(dialect))
    return stmt


def _threaded() -> bool:
    """Whether the database gets a thread of its own: always, so the server's loop makes
    no database call. The bench sets SAFECONTACT_DB_THREAD=0 to measure SQLite in place
    on the same code."""
    return os.environ.get("SAFECONTACT_DB_THREAD") != "0"


def _set_if_waiting(future: asyncio.Future[T], value: T) -> None:
    if not future.done():
        future.set_result(value)


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


def check_write_deadline() -> None:
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


def _unavailable(exc: BaseException) -> DatabaseUnavailable | None:
    """The "try again" an error means, or None when it is not the database being away."""
    if isinstance(exc, DatabaseUnavailable):
        return None
    if isinstance(exc, OSError | ConnectionError) or _is_unavailable(exc):
        return DatabaseUnavailable(str(exc))
    return None


def _is_unavailable(exc: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(exc, OperationalError | PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    return bool(exc.connection_invalidated) or sqlstate[:2] in _TRANSIENT_SQLSTATE_CLASSES
