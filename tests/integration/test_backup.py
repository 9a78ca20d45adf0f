"""Backups: a copy taken while reports are being submitted restores to a database whose
audit trail verifies, on SQLite (online backup API) and PostgreSQL (pg_dump); restore
refuses a database that holds records unless forced; nightly copies are kept in number.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import backup
from bot.runtime import Runtime
from bot.settings import BackupSettings, Settings
from storage.db import Database
from storage.migrate import upgrade
from storage.models import AuditEvent, Incident
from tests.backends import both_backends
from tests.conftest import RUN_ID, _pg_admin, _pg_url
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.slack_harness import SlackWorld, start_world

REPORTERS = ["U0SAM", "U0NIA", "U0LEE", "U0JO"]


async def report(world: SlackWorld, user: str) -> None:
    view = await open_incident_form(world, user)
    status, ack = await world.submit(user, view, answers(new_person_name=f"Person {user}"))
    assert status == 200 and ack["response_action"] == "update", ack


async def empty_database_like(url: str, tmp_path: Path) -> str:
    """A new, empty database on the same backend as `url`."""
    if url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
    name = f"sc_{RUN_ID}_restore_{tmp_path.name[-12:].replace('-', '_')}"
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(f'CREATE DATABASE "{name}"')
    return _pg_url(name)


async def counts(url: str) -> tuple[int, int]:
    db = Database(url)
    try:
        async with db.read() as session:
            incidents = (await session.execute(select(func.count()).select_from(Incident))).one()
            reported = (
                await session.execute(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "incident.reported")
                )
            ).one()
    finally:
        await db.dispose()
    return int(incidents[0]), int(reported[0])


@both_backends
async def test_a_backup_taken_while_reports_arrive_restores_and_verifies(
    fresh_db_url: str, tmp_path: Path
) -> None:
    world, stop = await start_world(fresh_db_url)
    out = tmp_path / ("copy.db" if fresh_db_url.startswith("sqlite") else "copy.dump")
    try:
        await report(world, "U0SAM")

        async def backup_midway() -> backup.Copy:
            await asyncio.sleep(0.05)
            return await backup.take(fresh_db_url, out)

        results = await asyncio.gather(
            *(report(world, user) for user in REPORTERS * 2), backup_midway()
        )
        copy = results[-1]
        assert copy.path == out and copy.size > 0
        partial = await asyncio.to_thread(lambda: list(tmp_path.glob(".*.partial")))
        assert not partial, "no half-written file is left"
    finally:
        await stop()
    target = await empty_database_like(fresh_db_url, tmp_path)
    verdict = await backup.restore(target, out, force=False)
    assert verdict.ok, verdict.reason
    incidents, reported = await counts(target)
    # One moment of the database: every report in the copy has its audit event, and
    # every audit event its report, however the submissions and the copy interleaved.
    assert incidents == reported
    assert 1 <= incidents <= 1 + len(REPORTERS) * 2


@both_backends
async def test_restore_refuses_a_database_with_records_unless_forced(
    fresh_db_url: str, tmp_path: Path
) -> None:
    world, stop = await start_world(fresh_db_url)
    out = tmp_path / "copy.bak"
    try:
        await report(world, "U0SAM")
        await backup.take(fresh_db_url, out)
        await report(world, "U0NIA")  # made after the copy: the restore takes it away
    finally:
        await stop()
    with pytest.raises(backup.BackupError, match=r"already holds records.*--force"):
        await backup.restore(fresh_db_url, out, force=False)
    assert await counts(fresh_db_url) == (2, 2), "a refused restore changes nothing"
    verdict = await backup.restore(fresh_db_url, out, force=True)
    assert verdict.ok
    assert await counts(fresh_db_url) == (1, 1)


async def test_restore_reports_a_tampered_backup(fresh_db_url: str, tmp_path: Path) -> None:
    world, stop = await start_world(fresh_db_url)
    out = tmp_path / "copy.db"
    try:
        await report(world, "U0SAM")
        await backup.take(fresh_db_url, out)
    finally:
        await stop()
    con = sqlite3.connect(out)
    con.execute("UPDATE audit_events SET actor = 'someone else' WHERE seq = 2")
    con.commit()
    con.close()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    lines: list[str] = []
    code = await _printed(backup.restore_command(settings, out, force=False), lines)
    assert code == 1
    assert any("audit trail BROKEN at event 2" in line for line in lines), lines


async def test_what_cannot_be_restored_or_backed_up_is_refused_clearly(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database")
    with pytest.raises(backup.BackupError, match="is not a safecontact backup"):
        await backup.restore(fresh_db_url, junk, force=True)
    with pytest.raises(backup.BackupError, match="is not a folder"):
        await backup.take(fresh_db_url, tmp_path / "missing" / "copy.db")
    # PostgreSQL without its client tools: say what to install, or what to run instead.
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError) as refused:
        await backup.take("postgresql+asyncpg://u:secret@db.internal/sc", tmp_path / "x.dump")
    assert "pg_dump is not installed" in str(refused.value)
    assert "apt-get install postgresql-client" in str(refused.value)
    assert "secret" not in str(refused.value)


async def _printed(coro: Any, lines: list[str]) -> int:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await coro
    lines.extend(out.getvalue().splitlines())
    return int(code)


# -- nightly -------------------------------------------------------------------------------


async def test_nightly_backups_run_once_a_day_and_keep_the_newest(
    db: Database, fresh_db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in range(1, 5):  # four older copies
        (folder / f"safecontact-202611{day:02d}-0230.db").write_bytes(b"old")
    (folder / "notes.txt").write_text("left alone")
    settings = Settings(
        database_url=fresh_db_url,
        backup=BackupSettings(folder=str(folder), keep=3, at=time(2, 30)),
    )
    now = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 01:00 in London: before 02:30
    runtime = Runtime(settings=settings, db=db, clock=lambda: now)
    await upgrade(db)
    nightly = backup.NightlyBackups(runtime)
    assert await nightly.run_if_due() is None

    now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    runtime.clock = lambda: now
    made = await nightly.run_if_due()
    assert made == folder / "safecontact-20261201-0300.db"
    assert await nightly.run_if_due() is None, "once a day"
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [
        "notes.txt",
        "safecontact-20261103-0230.db",
        "safecontact-20261104-0230.db",
        "safecontact-20261201-0300.db",
    ]
    con = sqlite3.connect(made)
    assert con.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    con.close()

    # A folder that went away: logged without stopping the scheduler, tried again later.
    caplog.set_level(logging.ERROR, logger="bot.backup")
    settings.backup.folder = str(tmp_path / "gone")
    now = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    assert await nightly.run_if_due() is None
    assert "nightly backup failed" in caplog.text
    assert not nightly.due(now), "not retried at every pass"
