"""The `safecontact` command as an operator runs it: a real process, a real database file.

These run the installed console script, so they also prove the package's entry point,
its migrations shipped as package data, and the exit codes scripts and monitoring rely on.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.migrate import alembic_config

CLI = Path(sys.executable).with_name("safecontact")
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

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
slack_user_id = "U012AB3CD"

[[staff]]
name = "Kit Lane"
email = "kit.lane@example.org"
roles = ["authoriser", "admin"]
"""


class Operator:
    """Runs commands in one working directory against one SQLite file, as an admin would."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.db_path = workdir / "safecontact.db"
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("SAFECONTACT_CONFIG", "DATABASE_URL") and not k.startswith("SLACK_")
        }
        self.env["DATABASE_URL"] = f"sqlite+aiosqlite:///{self.db_path}"

    def config(self, body: str) -> None:
        (self.workdir / "safecontact.toml").write_text(body, encoding="utf-8")

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(CLI), *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def sql(self, statement: str) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(self.db_path)
        try:
            with conn:
                return conn.execute(statement).fetchall()
        finally:
            conn.close()


@pytest.fixture
def op(tmp_path: Path) -> Operator:
    return Operator(tmp_path)


def test_db_upgrade_creates_the_schema_and_can_run_again(op: Operator) -> None:
    first = op.run("db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert f"database at revision {HEAD}" in first.stdout
    assert op.sql("SELECT version_num FROM alembic_version") == [(HEAD,)]

    again = op.run("db", "upgrade")
    assert again.returncode == 0
    assert f"database at revision {HEAD}" in again.stdout


def test_staff_list_shows_names_roles_and_managers(op: Operator) -> None:
    op.config(DIRECTORY)
    done = op.run("staff", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME", "EMAIL", "ROLES", "MANAGER", "SLACK", "TEAMS"]
    rows = {line.split("  ")[0]: line for line in lines[1:]}
    assert list(rows) == ["Jo Reed", "Kit Lane", "Sam Patel"]  # sorted by name
    assert "manager, staff" in rows["Jo Reed"]
    assert "admin, authoriser" in rows["Kit Lane"]
    sam = rows["Sam Patel"]
    assert "sam.patel@example.org" in sam and "U012AB3CD" in sam
    assert "Jo Reed" in sam, "the manager is shown by name"


def test_staff_list_after_someone_leaves(op: Operator) -> None:
    op.config(DIRECTORY)
    assert op.run("staff", "list").returncode == 0
    op.config(DIRECTORY.split('[[staff]]\nname = "Kit Lane"')[0])

    current = op.run("staff", "list")
    assert current.returncode == 0
    assert "Kit Lane" not in current.stdout
    everyone = op.run("staff", "list", "--all")
    kit = next(line for line in everyone.stdout.splitlines() if line.startswith("Kit Lane"))
    assert "(left)" in kit


def test_staff_list_with_an_empty_directory_says_how_to_fill_it(op: Operator) -> None:
    # A new office's file before its people are added (without a file, commands read the
    # bundled demo directory, as serve does: tests/integration/test_cli_directory.py).
    op.config('[organisation]\nname = "Office"\n')
    done = op.run("staff", "list")
    assert done.returncode == 0
    assert "staff directory is empty" in done.stdout and "[[staff]]" in done.stdout


def test_audit_verify_passes_then_names_the_tampered_event(op: Operator) -> None:
    op.config(DIRECTORY)
    assert op.run("staff", "list").returncode == 0  # the sync writes three audit events

    clean = op.run("audit", "verify")
    assert clean.returncode == 0, clean.stderr
    assert "audit trail intact: 3 events verified" in clean.stdout

    op.sql("""UPDATE audit_events SET detail = '{"roles": ["admin"]}' WHERE seq = 2""")
    broken = op.run("audit", "verify")
    assert broken.returncode == 1
    assert "audit trail BROKEN at event 2" in broken.stderr
    assert "event 2" in broken.stderr and "changed" in broken.stderr


def test_audit_verify_names_a_deleted_event(op: Operator) -> None:
    op.config(DIRECTORY)
    assert op.run("staff", "list").returncode == 0
    op.sql("DELETE FROM audit_events WHERE seq = 3")
    broken = op.run("audit", "verify")
    assert broken.returncode == 1
    assert "audit trail BROKEN at event 3" in broken.stderr and "missing" in broken.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_answers_healthz_and_stops_cleanly(op: Operator) -> None:
    # No safecontact.toml at all: a fresh install must still start.
    port = _free_port()
    proc = subprocess.Popen(
        [str(CLI), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=op.env,
        cwd=op.workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status, body = 0, b""
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, body
        health = json.loads(body)
        assert health["status"] == "ok"
        assert health["version"] == version("safecontact")
        assert health["database"] == {"backend": "sqlite", "ok": True}
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert f"listening on http://127.0.0.1:{port}" in out
    # serve migrated the database on its way up.
    assert op.sql("SELECT version_num FROM alembic_version") == [(HEAD,)]


def test_safecontact_alone_lists_the_commands(op: Operator) -> None:
    """Issue 12 item 10: `safecontact` with no arguments lists what it can do."""
    done = op.run()
    assert done.returncode == 0, done.stderr
    for command in ("serve", "demo-data", "doctor", "case", "jobs", "export-person", "retention"):
        assert command in done.stdout, command
    assert "required" not in done.stderr
