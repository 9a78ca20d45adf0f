"""Fixtures shared by every tier: fresh databases on SQLite and PostgreSQL.

Each test gets its own database, copied from a template migrated once per run,
so tests cannot see each other's rows and runs cannot collide on the shared server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from storage.audit_files import KEY_ENV
from storage.db import Database
from storage.migrate import upgrade

# One audit key for the run (servers and CLI subprocesses inherit it), made in a folder of
# its own: PostgreSQL's anchor files go beside it, one per test database. The tests of
# the key's own placing take this away (tests/integration/test_audit_trail.py).
os.environ.setdefault(KEY_ENV, str(Path(tempfile.mkdtemp(prefix="sc-audit-")) / "audit.key"))

PG_DSN = os.environ.get("SAFECONTACT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = uuid.uuid4().hex[:8]
SHARED = Path(__file__).resolve().parents[2] / "shared"


def _pg_url(dbname: str) -> str:
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{dbname}"


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"sc_{RUN_ID}_tpl"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL is not reachable at {PG_DSN}: {exc}"
        if os.environ.get("SAFECONTACT_REQUIRE_PG") == "1":
            pytest.fail(reason + " (SAFECONTACT_REQUIRE_PG=1: CI must test both databases)")
        pytest.skip(reason)
    asyncio.run(_migrate(_pg_url(name)))
    yield name
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_counter = iter(range(1, 10**9))


@pytest.fixture
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of the backend named by the test's `backend` param."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        path = tmp_path / "safecontact.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"sc_{RUN_ID}_{next(_counter)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield _pg_url(name)
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db(fresh_db_url: str) -> AsyncIterator[Database]:
    database = Database(fresh_db_url)
    yield database
    await database.dispose()


pytest_plugins = ["tests.slack_harness", "tests.teams_harness"]
