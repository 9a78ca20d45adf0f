"""Load: thousands of signed Slack requests at concurrency 64, commands, forms and clicks.

Outcomes only, never times: no 5xx, no "something went wrong on our side" to anyone,
every report the bot said it saved is stored exactly once, none it asked to try again is
stored, and every message it wrote reaches Slack exactly once. A report Slack gave up on
(answered after its 3 s window, so the person saw an error) may have been stored; the
person sends the same form again, as Slack lets them, and is told it was saved, once
(each interaction is processed at most once: bot/interactions_once.py). Sized to take
well under a minute.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime
from cards.ids import ActionId
from storage.db import Database
from storage.models import Incident, OutboxMessage
from tests.backends import both_backends
from tests.e2e.test_resilience_faults import delivered_outbox_ids, settle
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.fake_slack import FakeSlack
from tests.integration.test_replicas import Server, _env
from tests.slack_harness import SlackWorld, settings_for

REQUESTS = 2400
CONCURRENCY = 64
OURS_FAILED = "went wrong on our side"


async def quiet(slack: SlackWorld) -> None:
    """Wait for the work done after acks (views.open, response_url answers) to finish."""
    last, still = -1, 0
    while still < 20:  # a second with nothing new
        now = len(slack.fake.calls) + len(slack.fake.responses)
        still = still + 1 if now == last else 0
        last = now
        await asyncio.sleep(0.05)


def _plan(seed: int) -> list[str]:
    """What each request is: 40% reports, 30% slash commands, 30% button clicks."""
    rng = random.Random(seed)
    kinds = ["submit"] * 40 + ["command"] * 30 + ["click"] * 30
    return [rng.choice(kinds) for _ in range(REQUESTS)]


@pytest.fixture
async def served(fresh_db_url: str, tmp_path: Path) -> AsyncIterator[SlackWorld]:
    """A real `safecontact serve` process, as in production: the load generator (this
    process) does not share the server's event loop, only the machine."""
    fake = FakeSlack()
    await fake.start()
    server = Server(_env(tmp_path, fresh_db_url, fake), tmp_path / "serve.log")
    db = Database(fresh_db_url)
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY))
    try:
        await server.ready()
        runtime = Runtime(settings=settings_for(fresh_db_url, fake.base_url), db=db)
        yield SlackWorld(f"http://127.0.0.1:{server.port}", fake, db, runtime, http)
    finally:
        await http.close()
        server.stop()
        await db.dispose()
        await fake.stop()
        log = (tmp_path / "serve.log").read_text()
        assert "Traceback" not in log, log[-3000:]


@both_backends
async def test_a_burst_of_mixed_requests_no_5xx_every_saved_report_stored_once(
    served: SlackWorld,
) -> None:
    slack = served
    view = await open_incident_form(slack)
    rng = random.Random(42)
    plan = _plan(7)
    counter = itertools.count()
    statuses: Counter[int] = Counter()
    saved: dict[str, str] = {}  # nonce -> the reference the user was shown
    busy: list[str] = []  # told to try again, with nothing stored
    late: list[str] = []  # not answered inside Slack's window
    refused: list[str] = []  # anything else: a bug
    problems: list[str] = []

    def form_of(nonce: str) -> dict[str, Any]:
        """Each report its own modal, as in Slack: its own view id and version hash."""
        return {**view, "id": f"V{nonce}", "hash": f"{nonce}.hash"}

    def answers_of(nonce: str) -> dict[str, Any]:
        return answers(what_happened=f"Shouted at reception ({nonce}).")

    async def one(i: int) -> None:
        kind = plan[i]
        if kind == "submit":
            nonce = f"load-{i:05d}"
            status, ack = await slack.submit("U0SAM", form_of(nonce), answers_of(nonce))
            text = json.dumps(ack)
            if status == 200 and isinstance(ack, dict) and "saved as" in text:
                saved[nonce] = text
            elif status == 200 and isinstance(ack, dict) and "try again" in text.lower():
                busy.append(nonce)  # the form stays open with its answers: nothing lost
            elif status == 404 and "unhandled" in text:
                late.append(nonce)  # bolt's 3 s ack window passed: Slack says try again
            else:
                refused.append(f"{nonce}: {status} {text[:300]}")
        elif kind == "command":
            name, arg = rng.choice([("/incident", ""), ("/checkin", ""), ("/case", "Member")])
            user = rng.choice(["U0SAM", "U0JO", "U0NOBODY"])
            status, ack = await slack.command(user, name, arg)
            text = json.dumps(ack)
        else:
            action, user, value = rng.choice(
                [
                    (ActionId.ACKNOWLEDGE, "U0JO", str(rng.randint(1, 400))),
                    (ActionId.WELFARE_OK, "U0SAM", str(rng.randint(1, 400))),
                    (ActionId.WELFARE_TALK, "U0SAM", "999999"),
                    (ActionId.RECORD_WARNING, "U0JO", str(rng.randint(1, 400))),
                ]
            )
            status, ack = await slack.click(user, action, value)
            text = json.dumps(ack)
        statuses[status] += 1
        if status >= 500 or "Traceback" in text or OURS_FAILED in text:
            problems.append(f"{kind} {i}: {status} {text[:300]}")

    async def worker() -> None:
        while (i := next(counter)) < REQUESTS:
            await one(i)

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    by_status = await settle(slack.db, timeout=120)
    await quiet(slack)

    assert not problems, problems[:5]
    assert all(s < 500 for s in statuses), statuses
    # Every report was saved, or (the server too busy to store it inside Slack's 3 s
    # window) refused with "try again" and its form kept open, or not answered in time,
    # which Slack shows as an error (the report may then have been stored).
    assert not refused, refused[:5]
    assert len(saved) + len(busy) + len(late) == plan.count("submit") and saved
    print(f"{len(saved)} saved, {len(busy)} asked to try again, {len(late)} not answered in time")
    async with slack.db.read() as session:
        stored = Counter(
            text.split("(")[-1].rstrip(").")
            for text in (await session.execute(select(Incident.what_happened))).scalars()
        )
    assert set(saved) <= set(stored), "every report the bot said it saved is stored"
    assert set(stored) <= set(saved) | set(late), "nothing stored that it did not take"
    assert not set(stored) & set(busy), "nothing stored for a report it asked to try again"
    assert set(stored.values()) == {1}, "each stored once"
    # The people told to try again, or shown Slack's error, send the same form again.
    confirmed = await _send_again(slack, busy + late, form_of, answers_of)
    assert set(confirmed) == set(busy) | set(late), "every report sent again is confirmed"
    by_status = await settle(slack.db, timeout=120)
    await quiet(slack)
    async with slack.db.read() as session:
        stored = Counter(
            text.split("(")[-1].rstrip(").")
            for text in (await session.execute(select(Incident.what_happened))).scalars()
        )
        posts = (
            await session.execute(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == "message")
            )
        ).scalar_one()
    assert set(stored) == {f"load-{i:05d}" for i, k in enumerate(plan) if k == "submit"}
    assert set(stored.values()) == {1}, "each stored once, however often it was sent"
    # Whatever a handler had to tell a user afterwards (response_url), none of it is ours.
    assert not [r for r in slack.fake.responses if OURS_FAILED in json.dumps(r)]
    assert by_status.get("failed", 0) == 0, by_status
    seen = delivered_outbox_ids(slack.fake)
    assert len(seen) == posts and set(seen.values()) == {1}


async def _send_again(
    slack: SlackWorld,
    nonces: list[str],
    form_of: Callable[[str], dict[str, Any]],
    answers_of: Callable[[str], dict[str, Any]],
) -> dict[str, str]:
    """Each form submitted again until the bot confirms it (a few at a time, as people
    would); what it answered, by report."""
    confirmed: dict[str, str] = {}
    slots = asyncio.Semaphore(4)

    async def again(nonce: str) -> None:
        async with slots:
            for _ in range(20):
                status, ack = await slack.submit("U0SAM", form_of(nonce), answers_of(nonce))
                text = json.dumps(ack)
                assert status < 500 and OURS_FAILED not in text, text[:300]
                if status == 200 and ("saved as" in text or "already received" in text):
                    confirmed[nonce] = text
                    return
                await asyncio.sleep(0.2)

    await asyncio.gather(*(again(n) for n in nonces))
    return confirmed
