"""Alembic driven from code, on the application's own engine (on the database's thread)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection

from storage.db import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=\s*(None|[\"']([\w-]+)[\"'])\s*$", re.M)


def alembic_config(url: str | None = None) -> Config:
    # Alembic is imported when used, not at start-up: it is a tenth of a second to import
    # and `serve` needs it only when the schema is behind.
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str | None:
    """The one head of the migration scripts, read from their text; None if unsure.

    Cheap enough for every start; anything unusual (a merge, a branch, a script this
    reading does not understand) returns None and leaves the question to Alembic.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = {m.group(1): m.group(3) for m in _REVISION.finditer(script.read_text())}
        if not found.get("revision") or "down_revision" not in found:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


async def _stamped(db: Database) -> list[str] | None:
    """The revisions the database says it is at; None if it has no alembic_version."""

    def stamped(conn: Connection) -> list[str]:
        return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]

    try:
        return await db.run_sync(stamped, begin=False)
    except Exception:  # no table yet (or no database): Alembic will say what is wrong
        return None


async def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (serve calls this at start).

    A database already at the head is left alone without loading Alembic: that is
    every start but the first after an upgrade, and it keeps start-up quick.
    """
    if revision == "head":
        head = head_revision()
        if head is not None and await _stamped(db) == [head]:
            return

    def _upgrade(connection: Connection) -> None:
        from alembic import command

        cfg = alembic_config()
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    await db.run_sync(_upgrade)


async def current_revision(db: Database) -> str | None:
    def _current(connection: Connection) -> str | None:
        from alembic.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()

    return await db.run_sync(_current, begin=False)


async def drift(db: Database) -> list[object]:
    """Differences between the models and the migrated schema; empty when they agree."""

    def _compare(connection: Connection) -> list[object]:
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext

        from storage.models import Base

        ctx = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))

    return await db.run_sync(_compare, begin=False)
