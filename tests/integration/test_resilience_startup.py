"""Start-up: `serve` on a database already at the current schema skips Alembic entirely.

The fast path reads the head revision from the migration scripts' text; these tests
hold it to Alembic's own answer, and check the path is taken (Alembic never imported)
and left when the schema is behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from storage.migrate import alembic_config, head_revision

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import asyncio, sys
from storage.db import Database
from storage.migrate import upgrade
db = Database(sys.argv[1])
asyncio.run(upgrade(db))
asyncio.run(db.dispose())
print("alembic" in sys.modules)
"""


def _upgrade_in_a_fresh_process(url: str) -> bool:
    """Run storage.migrate.upgrade in a new interpreter; whether it loaded Alembic."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


def test_head_read_from_the_scripts_is_alembics_head() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_a_database_at_head_is_not_migrated_again_and_alembic_is_not_loaded(
    fresh_db_url: str,
) -> None:
    assert _upgrade_in_a_fresh_process(fresh_db_url) is False


def test_an_empty_database_still_gets_every_migration(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'new.db'}"
    assert _upgrade_in_a_fresh_process(url) is True
    assert _upgrade_in_a_fresh_process(url) is False  # now at head
