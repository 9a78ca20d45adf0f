"""Faults: the platforms misbehave, or the database goes away for a moment.

A fake Slack (and a fake Bot Connector) that answers 429, 500, drops the connection or
times out for a seeded share of the calls the outbox makes: every message still
arrives exactly once, including those the platform took before the answer was lost.
A database that cannot be reached: the user is told to try again, with the form kept
open, and nothing half-written remains.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.server import create_app
from storage.db import Database
from storage.models import (
    AuditEvent,
    Incident,
    OutboxMessage,
    Person,
    ScheduledJob,
    WelfareCheckIn,
)
from tests.conftest import PG_DSN
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.fake_connector import Failure, FakeConnector
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackWorld, settings_for
from tests.teams_harness import JO, SAM, TeamsWorld, start_server, teams_settings
from tests.teams_harness import answers as teams_answers
from tests.teams_harness import open_incident_form as teams_form

OUTBOX_METHODS = ("chat.postMessage", "conversations.open", "chat.update")


async def hang(request: web.Request, injected: Counter[Any], *, timeout: float) -> None:
    """Wait past the client's timeout; count it `abandoned` if the client gave up first
    (closed the connection), which it does only when its timeout is the short one set."""
    injected["timeout"] += 1
    try:
        await asyncio.sleep(timeout + 0.5)
    except asyncio.CancelledError:
        injected["abandoned"] += 1
        raise
    if request.transport is None or request.transport.is_closing():
        injected["abandoned"] += 1


# The clients' timeouts, set short here (slack_timeout_seconds, teams_timeout_seconds;
# 10 s by default), so a hang a little longer is what a timeout looks like from our side
# without the suite waiting out the default. Teams' is longer: its sender cannot look
# before posting again, so an ordinary call slowed past it on a busy machine would be
# posted twice (the real 10 s leaves room for that; 1 s on a loaded CI runner does not).
SLACK_TIMEOUT = 1.0
TEAMS_TIMEOUT = 3.0


class FaultySlack(FakeSlack):
    """FakeSlack that fails a seeded share of the outbox's calls.

    `lost` is the cruel case: Slack posts the message, then the answer never arrives
    (the connection drops, or hangs past the client's timeout). Only a sender that
    looks before posting again avoids a duplicate.
    """

    def __init__(self, *, seed: int, hangs: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.hangs_left = hangs
        self.injected: Counter[str] = Counter()

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method not in OUTBOX_METHODS:
            return await super()._api(request)
        roll = self.rng.random()
        if roll < 0.15:
            self.injected["429"] += 1
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "0"}
            )
        if roll < 0.27:
            self.injected["500"] += 1
            return web.json_response({"ok": False, "error": "internal_error"}, status=500)
        if method == "chat.postMessage" and roll < 0.37:
            answer = await super()._api(request)  # Slack took it ...
            if self.hangs_left > 0:
                self.hangs_left -= 1
                await hang(request, self.injected, timeout=SLACK_TIMEOUT)  # ... answered late
                return answer
            self.injected["dropped"] += 1
            assert request.transport is not None
            request.transport.close()  # ... and the connection died before the answer
            return answer
        return await super()._api(request)


def delivered_outbox_ids(fake: FakeSlack) -> Counter[int]:
    """Each outbox id as often as it is in a DM now: what the staff actually see."""
    seen: Counter[int] = Counter()
    for messages in fake.channels.values():
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if "outbox_id" in payload:
                seen[payload["outbox_id"]] += 1
    return seen


async def start_slack(db_url: str, fake: FakeSlack) -> tuple[SlackWorld, Callable[[], Any]]:
    """The harness's start_world, but on the fake given."""
    import aiohttp

    api_url = await fake.start()
    settings = settings_for(db_url, api_url, slack_timeout_seconds=SLACK_TIMEOUT)
    db = Database(db_url)
    runtime = Runtime(settings=settings, db=db, retry_base=0.05, poll_interval=0.05)
    runner = web.AppRunner(create_app(settings, runtime=runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    http = aiohttp.ClientSession()
    world = SlackWorld(f"http://127.0.0.1:{runner.addresses[0][1]}", fake, db, runtime, http)

    async def stop() -> None:
        await http.close()
        await runner.cleanup()
        await fake.stop()

    return world, stop


async def rows(db: Database) -> dict[str, int]:
    out = {}
    async with db.read() as session:
        for model in (Incident, Person, OutboxMessage, WelfareCheckIn, ScheduledJob):
            out[model.__name__] = (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
        out["audit"] = (
            await session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.actor != "system:directory")
            )
        ).scalar_one()
    return out


async def settle(db: Database, *, timeout: float = 90.0) -> dict[str, int]:
    """Wait until no outbox message is pending or being sent; the count by status."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with db.read() as session:
            by_status = dict(
                (
                    await session.execute(
                        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
                    )
                ).all()
            )
        if not by_status.get("pending") and not by_status.get("sending"):
            return by_status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the outbox did not drain: {by_status}")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("fresh_db_url", ["sqlite", "postgresql"], indirect=True)
async def test_slack_429_500_drops_and_timeouts_still_deliver_every_message_once(
    fresh_db_url: str,
) -> None:
    fake = FaultySlack(seed=7, hangs=2)
    slack, stop = await start_slack(fresh_db_url, fake)
    try:
        view = await open_incident_form(slack)
        reports = 24
        for n in range(reports):
            status, ack = await slack.submit(
                "U0SAM", view, answers(new_person_name=f"Faulty Caller {n}")
            )
            assert status == 200 and ack["response_action"] == "update", ack
        by_status = await settle(slack.db)
    finally:
        await stop()
    async with slack.db.read() as session:
        written = (await session.execute(select(func.count(OutboxMessage.id)))).scalar_one()
    # Each report: the manager's card, the receipt and the welfare check-in.
    assert written == 3 * reports
    assert by_status == {"sent": written}, by_status
    seen = delivered_outbox_ids(fake)
    assert len(seen) == written, "every message arrived"
    assert set(seen.values()) == {1}, f"sent twice: {[k for k, v in seen.items() if v > 1]}"
    # The faults really happened, including posts whose answer was lost.
    assert fake.injected["429"] and fake.injected["500"]
    assert fake.injected["dropped"] and fake.injected["timeout"] == 2
    assert fake.injected["abandoned"] == 2, "the client gave up at slack_timeout_seconds"


class FaultyConnector(FakeConnector):
    """FakeConnector that answers 429 or 500 to a seeded share of the bot's calls, and
    hangs past the client's timeout on the first `hangs` posts (before taking them)."""

    def __init__(self, *, seed: int, hangs: int = 0) -> None:
        super().__init__()
        self.rng = random.Random(seed)
        self.injected: Counter[int | str] = Counter()
        self.hangs_left = hangs

    def _wrap(self, handler: Any) -> Callable[[web.Request], Any]:
        inner = super()._wrap(handler)

        async def serve(request: web.Request) -> web.StreamResponse:
            posting = request.method == "POST" and "activity_id" not in request.match_info
            if posting and request.match_info.get("conversation_id") and self.hangs_left > 0:
                self.hangs_left -= 1
                await hang(request, self.injected, timeout=TEAMS_TIMEOUT)  # the bot gave up
                return web.json_response({"error": {"code": "ServiceError"}}, status=503)
            return await inner(request)

        return serve

    def record(self, route: str, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        if route == "send":
            roll = self.rng.random()
            if roll < 0.3:
                status = 429 if roll < 0.15 else 500
                self.injected[status] += 1
                headers = {"Retry-After": "0"} if status == 429 else {}
                self.failures[route].insert(0, Failure(status, headers))
        return super().record(route, request, body)


@pytest.fixture
async def faulty_teams(fresh_db_url: str) -> AsyncIterator[tuple[TeamsWorld, FaultyConnector]]:
    import aiohttp

    fake = FaultyConnector(seed=11, hangs=2)
    await fake.start()
    settings = teams_settings(fresh_db_url, teams_timeout_seconds=TEAMS_TIMEOUT)
    url, runtime, cleanup = await start_server(settings, dev=True)
    http = aiohttp.ClientSession()
    world = TeamsWorld(url, fake, runtime.db, runtime, http)
    try:
        yield world, fake
    finally:
        await http.close()
        await cleanup()
        await fake.stop()


async def test_teams_429_and_500_still_deliver_every_message_once(
    faulty_teams: tuple[TeamsWorld, FaultyConnector],
) -> None:
    teams, fake = faulty_teams
    await teams.say(JO, "hello")  # the manager has opened the bot, so it may write first
    reports = 12
    for n in range(reports):
        card = await teams_form(teams, SAM)
        status, answer = await teams.submit(
            SAM, card, teams_answers(new_person_name=f"Faulty Caller {n}")
        )
        assert status == 200, answer
    by_status = await settle(teams.db)
    assert not by_status.get("failed"), by_status
    async with teams.db.read() as session:
        sent = (
            await session.execute(
                select(OutboxMessage.id, OutboxMessage.platform_ref).where(
                    OutboxMessage.status == "sent"
                )
            )
        ).all()
    activity_ids = [ref["activity_id"] for _, ref in sent if ref and "activity_id" in ref]
    posted = [c for c in fake.calls if c.route == "send" and c.status < 300]
    assert len(posted) == len(sent), "one successful post per message, no more"
    assert len(set(activity_ids)) == len(activity_ids)
    assert fake.injected[429] and fake.injected[500]
    assert fake.injected["timeout"] == 2
    assert fake.injected["abandoned"] == 2, "the client gave up at teams_timeout_seconds"


# -- the database goes away -------------------------------------------------------------


async def _terminate_backends(dbname: str) -> None:
    conn = await asyncpg.connect(PG_DSN, timeout=5)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            dbname,
        )
    finally:
        await conn.close()


async def _block_connections(dbname: str, allow: bool) -> None:
    conn = await asyncpg.connect(PG_DSN, timeout=5)
    try:
        await conn.execute(f'ALTER DATABASE "{dbname}" WITH ALLOW_CONNECTIONS {str(allow).lower()}')
    finally:
        await conn.close()


def _try_again(ack: dict[str, Any]) -> str:
    """The message under the form's field, which keeps the form (and its answers) open."""
    assert ack["response_action"] == "errors", ack
    (message,) = ack["errors"].values()
    return str(message)


@pytest.mark.parametrize("fresh_db_url", ["postgresql"], indirect=True)
async def test_postgresql_gone_for_a_moment_user_told_to_try_again_nothing_half_written(
    slack: SlackWorld, fresh_db_url: str
) -> None:
    dbname = fresh_db_url.rsplit("/", 1)[1]
    view = await open_incident_form(slack)
    before = await rows(slack.db)
    await _block_connections(dbname, allow=False)
    try:
        await _terminate_backends(dbname)  # every pooled connection dies
        status, ack = await slack.submit("U0SAM", view, answers())
    finally:
        await _block_connections(dbname, allow=True)
    assert status == 200
    assert "try again" in _try_again(ack).lower()
    assert "Traceback" not in json.dumps(ack)
    assert await rows(slack.db) == before, "nothing half-written"
    # The database is back: the same submission now goes through, once.
    status, ack = await slack.submit("U0SAM", view, answers())
    assert status == 200 and ack["response_action"] == "update", ack
    after = await rows(slack.db)
    assert after["Incident"] == before["Incident"] + 1
    assert after["Person"] == before["Person"] + 1


async def test_sqlite_locked_by_another_writer_user_told_to_try_again_nothing_half_written(
    slack: SlackWorld, fresh_db_url: str
) -> None:
    """Another process holds SQLite's write lock past the busy timeout (a stuck backup, a
    long migration): the submission gives up cleanly instead of hanging or half-writing."""
    import sqlite3

    view = await open_incident_form(slack)
    before = await rows(slack.db)
    holder = sqlite3.connect(fresh_db_url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        status, ack = await slack.submit("U0SAM", view, answers())
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert status == 200
    assert "try again" in _try_again(ack).lower()
    assert await rows(slack.db) == before, "nothing half-written"
    status, ack = await slack.submit("U0SAM", view, answers())
    assert status == 200 and ack["response_action"] == "update", ack
