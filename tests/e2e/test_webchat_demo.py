"""Trying safecontact out: `serve` with nothing configured, and `demo-data`.

What an IT officer or a trainer does first, run as they run it: the real command in an
empty directory. `serve` then binds loopback only, serves the web chat with the bundled
(fictional) demo directory and prints the URL to open. `demo-data` writes a small
history through the same dialogs/ functions the chat uses, so the case file, the audit
trail and the reminders are real; it refuses to run beside a real configuration.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import cli
from bot.settings import Settings
from bot.webchat import demo
from storage.db import Database
from storage.models import (
    Breach,
    ContactStrategy,
    Incident,
    OutboxMessage,
    Person,
    ScheduledJob,
    StaffMember,
    Warning,
)
from tests.backends import both_backends
from tests.e2e.serving import CLI, clean_env, serving
from tests.e2e.test_webchat_security import outward_address


def run(workdir: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    done = subprocess.run(
        [str(CLI), *args],
        cwd=workdir,
        env=env if env is not None else clean_env(workdir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


# A browser's cookies: the page's secret (guard.py) goes with every call after it.
_BROWSER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))


def get(url: str) -> tuple[int, bytes]:
    try:
        with _BROWSER.open(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


# -- the demo directory ----------------------------------------------------------------


def test_the_demo_directory_is_valid_and_clearly_fictional() -> None:
    settings = demo.with_demo_office(Settings())
    staff = settings.staff
    assert {r for e in staff for r in e.roles} == {
        "staff",
        "manager",
        "authoriser",
        "chief_executive",
        "admin",
    }, "every role can be tried"
    assert all(e.email.endswith("@demo.example") for e in staff), "a reserved, unroutable domain"
    assert all(e.teams_user_id and e.teams_user_id.startswith("00000000-") for e in staff)
    assert "fictional" in settings.organisation.name
    assert len([e for e in staff if "authoriser" in e.roles]) >= 2, "no one decides their own"
    assert demo.is_demo(settings) and demo.applies(Settings())
    assert not demo.applies(Settings(staff=staff)), "never over a directory of real people"


# -- demo-data ----------------------------------------------------------------------------


@both_backends
def test_demo_data_writes_a_real_history_once(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAFECONTACT_CONFIG", raising=False)
    monkeypatch.setenv("DATABASE_URL", fresh_db_url)
    assert cli.main(["demo-data"]) == 0
    said = capsys.readouterr().out
    assert "Loaded the demo history (all fictional)" in said
    assert cli.main(["demo-data"]) == 0
    assert "already loaded" in capsys.readouterr().out

    history = asyncio.run(_history(fresh_db_url))
    assert history["people"] == {"Morgan Example", "Taylor Sample"}
    assert history["incidents"] == 3 and history["warnings"] == 1 and history["breaches"] == 1
    (active,) = history["strategies"]
    today = datetime.now(UTC).astimezone(demo.with_demo_office(Settings()).policy.zone).date()
    assert active[0] == "active"
    assert today < active[1] <= today + timedelta(days=3), "near its review date"
    assert all(e.endswith("@demo.example") for e in history["staff"])
    # What the history sent at the time is not sent again...
    assert history["outbox"]["skipped"] >= 10
    # ...but the newest incident's card, receipt and check-in wait to be delivered.
    assert sorted(history["pending"]) == ["incident_card", "incident_receipt", "welfare_checkin"]
    # Jobs that fell due before today ran then; the review reminder due today is left.
    assert all(due.date() >= today or status == "done" for _, status, due in history["jobs"])
    assert any(
        kind == "review_reminder" and status == "pending" for kind, status, _ in history["jobs"]
    )

    assert cli.main(["audit", "verify"]) == 0
    assert "audit trail intact" in capsys.readouterr().out
    assert cli.main(["case", "show", "Morgan Example"]) == 0
    case = capsys.readouterr().out
    assert "Strategy #1 (active)" in case and "Breaches" in case


async def _history(db_url: str) -> dict[str, Any]:
    db = Database(db_url)
    try:
        async with db.read() as s:
            outbox = [
                (r.template, r.status) for r in (await s.execute(select(OutboxMessage))).scalars()
            ]
            return {
                "people": {p.name for p in (await s.execute(select(Person))).scalars()},
                "incidents": len((await s.execute(select(Incident))).all()),
                "warnings": len((await s.execute(select(Warning))).all()),
                "breaches": len((await s.execute(select(Breach))).all()),
                "strategies": [
                    (c.status, c.review_date)
                    for c in (await s.execute(select(ContactStrategy))).scalars()
                ],
                "staff": [m.email for m in (await s.execute(select(StaffMember))).scalars()],
                "outbox": {
                    status: sum(1 for _, st in outbox if st == status)
                    for status in {st for _, st in outbox}
                },
                "pending": [t for t, st in outbox if st == "pending"],
                "jobs": [
                    (
                        j.kind,
                        j.status,
                        j.due_at.replace(tzinfo=UTC) if j.due_at.tzinfo is None else j.due_at,
                    )
                    for j in (await s.execute(select(ScheduledJob))).scalars()
                ],
            }
    finally:
        await db.dispose()


def test_demo_data_refuses_beside_a_real_configuration(tmp_path: Path) -> None:
    (tmp_path / "safecontact.toml").write_text(
        '[[staff]]\nname = "Real Person"\nemail = "real@office.example.org"\n', encoding="utf-8"
    )
    done = run(tmp_path, "demo-data")
    assert done.returncode == 2
    assert "only with the bundled demo directory" in done.stderr
    assert not (tmp_path / "safecontact.db").exists(), "nothing was written"


# -- serve with nothing configured ------------------------------------------------------------


def test_serve_with_nothing_configured_offers_the_web_chat_on_loopback(tmp_path: Path) -> None:
    with serving(tmp_path, "--port", "0") as served:
        assert served.url is not None, served.stdout
        assert served.url.startswith("http://127.0.0.1:")
        listening = next(line for line in served.stdout if "listening on" in line)
        assert "http://127.0.0.1:" in listening, "bound to loopback, not 0.0.0.0"
        assert "demo directory" in "".join(served.stdout)
        status, page = get(served.url)
        assert status == 200 and b"Who are you?" in page
        status, body = get(served.url + "webchat/api/people")
        people = json.loads(body)
        assert people["demo"] is True
        assert [p["name"] for p in people["people"]][:3] == [
            "Sam Rivers",
            "Priya Shah",
            "Jo Fielding",
        ]
        port = int(served.url.rstrip("/").rsplit(":", 1)[1])
        address = outward_address()
        if address is not None:
            with pytest.raises(urllib.error.URLError):
                urllib.request.urlopen(f"http://{address}:{port}/healthz", timeout=3)
    assert served.process.returncode == 0
    assert not [line for line in served.stderr if "Traceback" in line]


def test_serve_with_slack_credentials_has_no_web_chat(tmp_path: Path) -> None:
    env = clean_env(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET="s3cret")
    with serving(tmp_path, "--host", "127.0.0.1", "--port", "0", env=env) as served:
        assert served.url is None, "no web chat line"
        listening = next(line for line in served.stdout if "listening on" in line)
        base = listening.split("listening on ", 1)[1].split()[0]
        assert get(base + "/")[0] == 404
        assert get(base + "/healthz")[0] == 200


def test_the_served_database_is_the_one_demo_data_filled(tmp_path: Path) -> None:
    """`demo-data` then `serve`: the newest incident's card is delivered to the manager's
    web chat without anyone opening the page first (serve announces where it listens)."""
    assert run(tmp_path, "demo-data").returncode == 0
    with serving(tmp_path, "--port", "0") as served:
        assert served.url is not None
        db = tmp_path / "safecontact.db"
        for _ in range(200):
            conn = sqlite3.connect(db)
            try:
                rows = conn.execute(
                    "SELECT template, status FROM outbox_messages WHERE status IN "
                    "('pending', 'sending', 'sent', 'failed')"
                ).fetchall()
            finally:
                conn.close()
            if rows and all(status in ("sent", "failed") for _, status in rows):
                break
            time.sleep(0.1)
        assert rows and all(status == "sent" for _, status in rows), rows
        assert get(served.url)[0] == 200  # the page opened, as a browser does first
        status, body = get(served.url + "webchat/api/people")
        messages = {p["name"]: p["messages"] for p in json.loads(body)["people"]}
        assert messages["Jo Fielding"] >= 1 and messages["Sam Rivers"] >= 2
