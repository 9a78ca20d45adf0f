"""Every command reads the directory `serve` reads, and no command can empty it (issue 12).

Run as an operator runs them: the installed `safecontact` in a working directory, on
SQLite and on PostgreSQL. A command run beside a demo server (no configuration file)
once synced an empty directory: "0 added, 0 changed, 7 removed", after which every demo
person was told they were not in the directory and due reminders were spent as "the
staff member has left the directory".
"""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import ScheduledJob, StaffMember
from tests.backends import both_backends
from tests.e2e.serving import CLI, clean_env

DIRECTORY = """
[[staff]]
name = "Jo Reed"
email = "jo.reed@example.org"
roles = ["staff", "manager"]

[[staff]]
name = "Sam Patel"
email = "sam.patel@example.org"
roles = ["staff"]
manager = "jo.reed@example.org"

[[staff]]
name = "Kit Lane"
email = "kit.lane@example.org"
roles = ["authoriser", "admin"]
"""


def run(workdir: Path, db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CLI), *args],
        cwd=workdir,
        env=clean_env(workdir, DATABASE_URL=db_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


async def _stored(db_url: str) -> dict[str, Any]:
    db = Database(db_url)
    try:
        async with db.read() as s:
            staff = (await s.execute(select(StaffMember))).scalars()
            jobs = (await s.execute(select(ScheduledJob))).scalars()
            return {
                "in_directory": sorted(m.email for m in staff if m.in_directory),
                "jobs": sorted((j.kind, j.key, j.status, j.attempts) for j in jobs),
            }
    finally:
        await db.dispose()


def stored(db_url: str) -> dict[str, Any]:
    return asyncio.run(_stored(db_url))


@both_backends
def test_commands_beside_a_demo_server_read_the_demo_directory(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """No configuration file: `serve` uses the bundled demo directory, so every command
    does too, and none of them removes a demo person or spends a reminder."""
    assert run(tmp_path, fresh_db_url, "demo-data").returncode == 0
    demo_people = stored(fresh_db_url)["in_directory"]
    assert len(demo_people) == 7 and all(e.endswith("@demo.example") for e in demo_people)

    listed = run(tmp_path, fresh_db_url, "staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Sam Rivers" in listed.stdout and "Jo Fielding" in listed.stdout
    assert "(left)" not in listed.stdout

    later = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    ran = run(tmp_path, fresh_db_url, "jobs", "run-due", "--at", later)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "left the directory" not in ran.stdout
    assert "review_reminder" in ran.stdout, "the demo's review reminder ran for its people"
    for command in (("doctor",), ("jobs", "list"), ("audit", "verify")):
        run(tmp_path, fresh_db_url, *command)
    assert stored(fresh_db_url)["in_directory"] == demo_people, "nobody was removed"


@both_backends
def test_a_sync_that_would_remove_everyone_is_refused(fresh_db_url: str, tmp_path: Path) -> None:
    office = tmp_path / "office"
    office.mkdir()
    (office / "safecontact.toml").write_text(DIRECTORY, encoding="utf-8")
    assert run(office, fresh_db_url, "staff", "list").returncode == 0
    before = stored(fresh_db_url)
    assert len(before["in_directory"]) == 3

    # The command run from elsewhere, with a file that has no [[staff]] entries.
    empty = tmp_path / "empty.toml"
    empty.write_text('[organisation]\nname = "Office"\n', encoding="utf-8")
    for command in (("jobs", "run-due"), ("staff", "list"), ("serve", "--port", "0")):
        refused = run(tmp_path, fresh_db_url, *command, SAFECONTACT_CONFIG=str(empty))
        assert refused.returncode == 2, (command, refused.stdout, refused.stderr)
        (line,) = refused.stderr.splitlines()
        assert line.startswith("safecontact: the staff directory was refused: ")
        assert f"the configuration file {empty} has no [[staff]] entries" in line
        assert "would remove all 3 people" in line and "nothing was changed" in line
        assert "left the directory" not in refused.stdout
        assert stored(fresh_db_url) == before, "nobody removed, no job spent"

    # A file naming none of the people there is the wrong file (or the wrong database).
    other = tmp_path / "other.toml"
    other.write_text(
        '[[staff]]\nname = "Ann Other"\nemail = "ann.other@example.org"\n', encoding="utf-8"
    )
    refused = run(tmp_path, fresh_db_url, "jobs", "run-due", SAFECONTACT_CONFIG=str(other))
    assert refused.returncode == 2
    assert f"nobody in the configuration file {other} is in the database's directory" in (
        refused.stderr
    )
    assert stored(fresh_db_url) == before

    # Removing some people, not all, is an ordinary change.
    (office / "safecontact.toml").write_text(
        DIRECTORY.split('[[staff]]\nname = "Kit Lane"')[0], encoding="utf-8"
    )
    assert run(office, fresh_db_url, "staff", "list").returncode == 0
    assert stored(fresh_db_url)["in_directory"] == ["jo.reed@example.org", "sam.patel@example.org"]
