"""`safecontact serve`, started as an operator starts it, imports only what serving needs.

Start-up is mostly imports (docs/performance.md), and three families are never needed
by a Slack server on SQLite: botbuilder (Teams is off, and the local web chat that runs
the Teams bot is not served beside a real platform), the records code (the export, the
subject access requests, the monthly purge and oversight report, matplotlib), imported
when a job or a command runs them, and the async SQLAlchemy layer and PostgreSQL's
dialect. The server runs in a fresh interpreter, since this one has imported all of it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from asyncio.subprocess import PIPE
from pathlib import Path

from tests.fake_slack import FakeSlack
from tests.slack_harness import SECRET

ROOT = str(Path(__file__).resolve().parents[2])
DIRECTORY = """
[[staff]]
name = "Sam Patel"
email = "sam@example.org"
roles = ["staff"]
slack_user_id = "U0SAM"
"""

NOT_FOR_SERVING = (
    "botbuilder",
    "msrest",
    "matplotlib",
    "dialogs.records.report",
    "dialogs.records.export",
    "dialogs.records.export_view",
    "dialogs.records.retention",
    "dialogs.records.sar",
    "dialogs.records.redact",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.postgresql",
)

SCRIPT = """
import json, os, signal, sys, threading, time, urllib.request

def watch():
    for _ in range(1200):
        try:
            urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.05)
    names = json.loads(sys.argv[2])
    found = [m for m in sys.modules if any(m == n or m.startswith(n + ".") for n in names)]
    print(json.dumps(sorted(found)), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=watch, daemon=True).start()
from bot.cli import main
sys.exit(main(["serve", "--host", "127.0.0.1", "--port", sys.argv[3]]))
"""


async def test_serving_slack_on_sqlite_imports_no_teams_records_or_async_layer(
    tmp_path: Path, sqlite_template: Path
) -> None:
    config, db = _office(tmp_path, sqlite_template)
    fake = FakeSlack()
    api = await fake.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
        env.update(
            SAFECONTACT_CONFIG=str(config),
            DATABASE_URL=f"sqlite+aiosqlite:///{db}",
            SLACK_BOT_TOKEN="xoxb-test-token",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=api,
        )
        port = _free_port()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SCRIPT,
            f"http://127.0.0.1:{port}",
            json.dumps(NOT_FOR_SERVING),
            str(port),
            stdout=PIPE,
            stderr=PIPE,
            env=env,
            cwd=ROOT,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        await fake.stop()
    assert proc.returncode == 0, err.decode()
    assert json.loads(out.decode().strip().splitlines()[-1]) == [], err.decode()


def _office(tmp_path: Path, template: Path) -> tuple[Path, Path]:
    config = tmp_path / "safecontact.toml"
    config.write_text(DIRECTORY)
    db = tmp_path / "safecontact.db"
    db.write_bytes(template.read_bytes())  # at the current schema, as at a restart
    return config, db


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
