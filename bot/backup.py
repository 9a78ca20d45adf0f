"""Backups and restores of the database, and the nightly copies the server takes.

- **SQLite**: SQLite's online backup API (Python's `sqlite3.Connection.backup`) copies
  every page in one step inside a read transaction, so the copy is one moment of the
  database even while `serve` writes to it (in WAL mode readers never block writers).
  The copy is checked (`PRAGMA quick_check`), made a single self-contained file, and
  renamed into place only when complete.
- **PostgreSQL**: `pg_dump --format=custom`, which reads one snapshot. Where pg_dump is
  not installed the command says what to install, or what to run instead.
- **Restore** refuses a database that already holds records unless given --force, then
  brings the schema to the head and runs `audit verify` on what it restored.
- **Nightly**: with `[backup] folder` set, the scheduler takes a copy each day after
  `at` (office time) and keeps the newest `keep`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import URL, make_url

from bot import audit_check
from bot.runtime import Runtime
from bot.settings import Settings
from storage import migrate
from storage.audit_files import AuditFiles
from storage.db import Database
from storage.models import AuditEvent, StaffMember

log = logging.getLogger(__name__)

NIGHTLY_NAME = re.compile(r"^safecontact-(\d{8}-\d{4})\.(db|dump)$")
PG_CLIENT_ADVICE = (
    "install the PostgreSQL client tools of the server's major version (Debian and "
    "Ubuntu: apt-get install postgresql-client), or have your database team back up "
    "the database with: pg_dump --format=custom --file FILE DBNAME"
)


class BackupError(Exception):
    """What the operator reads when a backup or a restore cannot be done."""


@dataclass(frozen=True)
class Copy:
    path: Path
    size: int


# -- taking a copy ------------------------------------------------------------------------


async def take(database_url: str, out: Path) -> Copy:
    """A consistent copy of the database in `out` (written whole or not at all)."""
    url = make_url(database_url)
    partial = out.with_name(f".{out.name}.partial")
    await asyncio.to_thread(_check_folder, out.parent)
    try:
        if url.get_backend_name() == "sqlite":
            await asyncio.to_thread(_sqlite_copy, _sqlite_path(url), partial)
        else:
            await _pg_dump(url, partial)
        return await asyncio.to_thread(_put_in_place, partial, out)
    finally:
        await asyncio.to_thread(partial.unlink, missing_ok=True)


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise BackupError(f"{folder} is not a folder; create it first")


def _put_in_place(partial: Path, out: Path) -> Copy:
    with open(partial, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(partial, out)
    return Copy(out, out.stat().st_size)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # every page in one step: one consistent moment
        # A backup is one file: no -wal beside it to lose on the way to the tape.
        dst.execute("PRAGMA journal_mode=DELETE")
        verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy failed SQLite's check: {verdict}")
        dst.commit()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy the database: {exc}") from exc
    finally:
        dst.close()
        src.close()


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    query = dict(url.query)
    ssl = query.pop("ssl", None)  # asyncpg's name for libpq's sslmode
    if ssl and "sslmode" not in query:
        query["sslmode"] = "require" if ssl in ("true", "True", "1") else str(ssl)
    plain = URL.create(
        "postgresql",
        username=url.username,
        host=url.host,
        port=url.port,
        database=url.database,
        query=query,
    )
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed on this computer: {PG_CLIENT_ADVICE}")
    return found


async def _run(*args: str, env: dict[str, str], stdin: bytes | None = None) -> None:
    proc = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate(stdin)
    if proc.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit {proc.returncode}"
        raise BackupError(f"{Path(args[0]).name} failed: {detail}")


async def _pg_dump(url: URL, out: Path) -> None:
    dsn, env = _libpq(url)
    await _run(
        _tool("pg_dump"),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        f"--file={out}",
        f"--dbname={dsn}",
        env=env,
    )


# -- restoring one --------------------------------------------------------------------------


async def held_records(db: Database) -> int:
    """Audit events and staff in the database; 0 for a new, empty one."""
    try:
        async with db.read() as session:
            events = (await session.execute(select(func.count()).select_from(AuditEvent))).one()
            staff = (await session.execute(select(func.count()).select_from(StaffMember))).one()
    except Exception:  # no tables yet
        return 0
    return int(events[0]) + int(staff[0])


async def restore(
    database_url: str, backup: Path, *, force: bool, audit: AuditFiles | None = None
) -> audit_check.audit.Verdict:
    """Replace the database with `backup`, bring it to the head and verify its audit."""
    url = make_url(database_url)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        await asyncio.to_thread(_check_sqlite_backup, backup)
    else:
        if not await asyncio.to_thread(backup.is_file):
            raise BackupError(f"{backup} does not exist")
        await _run(_tool("pg_restore"), "--list", str(backup), env=dict(os.environ))
    db = Database(database_url, audit=audit)
    try:
        held = await held_records(db)
        if held and not force:
            raise BackupError(
                f"the database {url.render_as_string(hide_password=True)} already holds "
                f"records ({held} audit events and staff); stop `safecontact serve`, then "
                "give --force to replace them with the backup"
            )
        await db.dispose()
        if sqlite:
            await asyncio.to_thread(_sqlite_restore, backup, _sqlite_path(url))
        else:
            await _pg_restore(url, backup)
        await migrate.upgrade(db)
        await asyncio.to_thread(_set_anchors_aside, db.audit)
        return await audit_check.verify(db)
    finally:
        await db.dispose()


def _set_anchors_aside(files: AuditFiles) -> Path | None:
    """The anchors record the replaced database's history, which a backup ends before:
    kept, under another name, and the restored chain is anchored afresh from here."""
    if not files.anchor_path.exists():
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    aside = files.anchor_path.with_name(f"{files.anchor_path.name}.before-restore-{stamp}")
    os.replace(files.anchor_path, aside)
    log.warning("the audit anchors of the replaced database were kept as %s", aside)
    return aside


def _check_sqlite_backup(path: Path) -> None:
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        finally:
            con.close()
    except sqlite3.Error:
        tables = set()
    if not {"alembic_version", "audit_events", "staff_members"} <= tables:
        raise BackupError(f"{path} is not a safecontact backup of a SQLite database")


def _sqlite_restore(backup: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # page by page under SQLite's own locks, as a writer would
        dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not restore the backup: {exc}") from exc
    finally:
        dst.close()
        src.close()


async def _pg_restore(url: URL, backup: Path) -> None:
    """All or nothing: the old schema is dropped and the dump loaded in one transaction."""
    dsn, env = _libpq(url)
    restore_tool, psql = _tool("pg_restore"), _tool("psql")
    proc = await asyncio.create_subprocess_exec(
        restore_tool,
        "--no-owner",
        "--no-privileges",
        "--file=-",
        str(backup),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    script, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError(f"pg_restore could not read {backup}: {err.decode().strip()}")
    prefix = b"DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"
    await _run(
        psql,
        "--quiet",
        "--no-psqlrc",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        f"--dbname={dsn}",
        env=env,
        stdin=prefix + script,
    )


# -- the commands -------------------------------------------------------------------------


async def backup_command(settings: Settings, out: Path) -> int:
    try:
        copy = await take(settings.database_url, out)
    except BackupError as exc:
        print(f"safecontact: backup failed: {exc}")
        return 1
    print(f"wrote {copy.path} ({copy.size:,} bytes); restore it with: safecontact restore {out}")
    files = audit_check.files(settings)
    print(
        f"the audit trail's key ({files.key_path}) is not in this copy: keep a copy of it "
        "apart from the database's backups, or the restored trail cannot be verified"
    )
    return 0


async def restore_command(settings: Settings, backup: Path, *, force: bool) -> int:
    try:
        verdict = await restore(
            settings.database_url, backup, force=force, audit=audit_check.files(settings)
        )
    except BackupError as exc:
        print(f"safecontact: restore refused: {exc}")
        return 1
    print(f"restored {backup}")
    if verdict.ok:
        print(f"audit trail intact: {verdict.checked} events verified")
        return 0
    print(f"audit trail BROKEN at event {verdict.bad_seq}: {verdict.reason}")
    for finding in verdict.findings:
        print(f"  {finding.line()}")
    return 1


# -- nightly ------------------------------------------------------------------------------


def copies_in(folder: Path) -> list[tuple[datetime, Path]]:
    """The nightly copies in `folder`, oldest first, by the time in their names."""
    found = []
    for path in folder.glob("safecontact-*"):
        match = NIGHTLY_NAME.match(path.name)
        if match:
            found.append((datetime.strptime(match.group(1), "%Y%m%d-%H%M"), path))
    return sorted(found)


def prune(folder: Path, *, keep: int) -> int:
    """Delete all but the newest `keep` nightly copies; how many went."""
    old = copies_in(folder)[:-keep]
    for _, path in old:
        path.unlink(missing_ok=True)
    return len(old)


class NightlyBackups:
    """Run by the scheduler each pass: a copy once a day after `[backup] at`."""

    RETRY_AFTER = timedelta(hours=1)

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._not_before: datetime | None = None

    def due(self, now: datetime) -> bool:
        cfg = self.runtime.settings.backup
        if not cfg.folder:
            return False
        if self._not_before is not None and now < self._not_before:
            return False
        local = now.astimezone(self.runtime.settings.policy.zone)
        today_at = datetime.combine(local.date(), cfg.at)
        if local.replace(tzinfo=None) < today_at:
            return False
        taken = copies_in(Path(cfg.folder))
        return not taken or taken[-1][0] < today_at

    async def run_if_due(self) -> Path | None:
        now = self.runtime.clock()
        if not await asyncio.to_thread(self.due, now):
            return None
        cfg = self.runtime.settings.backup
        assert cfg.folder is not None
        folder = Path(cfg.folder)
        local = now.astimezone(self.runtime.settings.policy.zone)
        ext = "db" if self.runtime.db.is_sqlite else "dump"
        out = folder / f"safecontact-{local:%Y%m%d-%H%M}.{ext}"
        try:
            copy = await take(self.runtime.settings.database_url, out)
        except (BackupError, OSError) as exc:
            self._not_before = now + self.RETRY_AFTER
            log.error("the nightly backup failed (trying again in an hour): %s", exc)
            return None
        self._not_before = None
        removed = await asyncio.to_thread(prune, folder, keep=cfg.keep)
        log.info("nightly backup written (%d bytes); %d older copies removed", copy.size, removed)
        return copy.path
