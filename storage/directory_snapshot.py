"""Who is in the staff directory, read once and kept until the directory changes.

Every request asks "is this sender staff, and with what roles?" before anything else.
The database stays the one source of truth: this is a copy of its rows (staff_members
and staff_roles, nothing from the configuration file), dropped at one point, the
commit of any transaction that wrote either table (a directory sync, an account linked
by email), and read again when next needed. A change made by another process (a second
replica starting with its own file, `safecontact directory sync`) is seen through the
tables' own signature, checked at most once every `RECHECK_SECONDS`.

Each caller gets fresh detached rows, never a shared one: a flow may merge its actor
into its own session, on the database's thread, while another request reads theirs.
"""

from __future__ import annotations

import itertools
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.db import Database
from storage.models import StaffMember, StaffRole
from storage.models.base import as_loaded

# Seconds a snapshot is trusted before the tables' signature is compared again; only
# changes made by another process wait for it.
RECHECK_SECONDS = 1.0
_CHANGED = "safecontact.directory_changed"
_COLUMNS = tuple(c.key for c in StaffMember.__mapper__.column_attrs)
_ROLE_COLUMNS = tuple(c.key for c in StaffRole.__mapper__.column_attrs)


@dataclass(frozen=True)
class _Member:
    columns: tuple[Any, ...]
    roles: tuple[tuple[Any, ...], ...]

    def fresh(self) -> StaffMember:
        """A detached StaffMember with its roles, as a query would have returned it."""
        member = as_loaded(StaffMember, dict(zip(_COLUMNS, self.columns, strict=True)))
        roles = [as_loaded(StaffRole, dict(zip(_ROLE_COLUMNS, r, strict=True))) for r in self.roles]
        set_committed_value(member, "roles", roles)
        return member


@dataclass(frozen=True)
class _Loaded:
    signature: tuple[Any, ...]
    by_platform: dict[tuple[str, str], _Member]
    # (name, email) of each admin, by name: who a stranger is told to ask
    admins: list[tuple[str, str]]


class DirectorySnapshot:
    """The directory as last read; see the module docstring."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._loaded: _Loaded | None = None
        self._checked = 0.0
        # Bumped by every invalidation; a read that began before one is not kept.
        self._generation = itertools.count()
        self._current = next(self._generation)
        self.reads = 0  # counted for the tests: how many times the tables were read

    async def member(self, *, platform: str, user_id: str) -> StaffMember | None:
        """The member of staff in the directory behind a platform account, with roles."""
        loaded = await self._fresh()
        found = loaded.by_platform.get((platform, user_id))
        return found.fresh() if found is not None else None

    async def admins(self) -> list[tuple[str, str]]:
        return list((await self._fresh()).admins)

    def invalidate(self) -> None:
        self._current = next(self._generation)
        self._loaded = None

    def _trusted(self) -> _Loaded | None:
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked < RECHECK_SECONDS:
            return loaded
        return None

    async def _fresh(self) -> _Loaded:
        return self._trusted() or await self.db.run(self._reload())

    async def _reload(self) -> _Loaded:
        """On the database's thread: compare the signature, and read again if it moved.

        Requests that queued for this together find it done by the first of them.
        """
        loaded = self._trusted()
        if loaded is not None:
            return loaded
        loaded, generation = self._loaded, self._current
        async with self.db.read() as session:
            sync = session.sync_session
            signature = _signature(sync)
            if loaded is None or loaded.signature != signature:
                loaded = _read(sync, signature)
                self.reads += 1
        if generation == self._current:
            self._loaded = loaded
            self._checked = time.monotonic()
        return loaded


def _signature(session: OrmSession) -> tuple[Any, ...]:
    """What changes whenever either table does: every change to a member bumps its
    updated_at, and a role added or removed moves the roles' count or highest id."""
    members = session.execute(
        select(func.count(), func.max(StaffMember.updated_at), func.max(StaffMember.id))
    ).one()
    roles = session.execute(select(func.count(), func.max(StaffRole.id))).one()
    return (*members, *roles)


def _read(session: OrmSession, signature: tuple[Any, ...]) -> _Loaded:
    members = session.execute(select(StaffMember).where(StaffMember.in_directory.is_(True)))
    by_platform: dict[tuple[str, str], _Member] = {}
    admins: list[tuple[str, str]] = []
    for m in members.scalars():
        if not m.roles:  # in the file with no roles: not someone the bot serves
            continue
        entry = _Member(
            tuple(getattr(m, c) for c in _COLUMNS),
            tuple(tuple(getattr(r, c) for c in _ROLE_COLUMNS) for r in m.roles),
        )
        if m.slack_user_id:
            by_platform[("slack", m.slack_user_id)] = entry
        if m.teams_user_id:
            by_platform[("teams", m.teams_user_id)] = entry
        if m.has_role("admin"):
            admins.append((m.name, m.email))
    return _Loaded(signature, by_platform, sorted(admins))


_SNAPSHOTS: weakref.WeakKeyDictionary[Database, DirectorySnapshot] = weakref.WeakKeyDictionary()


def of(db: Database) -> DirectorySnapshot:
    """The snapshot of this database's directory, made (and hooked up) on first use."""
    snapshot = _SNAPSHOTS.get(db)
    if snapshot is None:
        snapshot = _SNAPSHOTS[db] = DirectorySnapshot(db)
        _watch(db, snapshot)
    return snapshot


def _watch(db: Database, snapshot: DirectorySnapshot) -> None:
    """The invalidation point: a transaction that wrote staff rows drops the snapshot
    when it commits (and only then: a rolled-back change changed nothing)."""
    ref = weakref.ref(snapshot)

    @event.listens_for(db.sessions, "before_flush")
    def _mark(session: OrmSession, _context: Any, _instances: Any) -> None:
        if session.info.get(_CHANGED):
            return
        for row in itertools.chain(session.new, session.dirty, session.deleted):
            if isinstance(row, StaffMember | StaffRole):
                session.info[_CHANGED] = True
                return

    @event.listens_for(db.sessions, "after_commit")
    def _drop(session: OrmSession) -> None:
        if session.info.pop(_CHANGED, False) and (live := ref()) is not None:
            live.invalidate()

    @event.listens_for(db.sessions, "after_rollback")
    def _forget(session: OrmSession) -> None:
        session.info.pop(_CHANGED, None)
