"""Slack over Socket Mode: the same bot, reached through a WebSocket instead of HTTP.

A loopback server speaks Slack's Socket Mode protocol (tests/fake_socket_mode.py):
apps.connections.open hands out a ws://127.0.0.1 URL, envelopes arrive on it and each
must be acknowledged. The incident and action tests written for HTTP run here again,
unchanged, through the socket (the `slack` fixture below replaces the HTTP one), which
is what "same behaviour as over HTTP" means; the rest is what only a socket has:
reconnecting, and telling /healthz and /metrics how the connection is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage.models import Incident

# The HTTP flows, collected again in this module with the Socket Mode `slack` below.
from tests.e2e.test_slack_actions import (  # noqa: F401
    test_acknowledge_updates_the_card_in_place,
    test_case_lookup_is_private_and_shows_status,
    test_checkin_command_any_time,
    test_forged_incident_ids_are_refused,
    test_future_dates_are_refused_under_the_field,
    test_home_tab_shows_open_items,
    test_only_the_manager_or_an_authoriser_may_act,
    test_police_referral_is_recorded,
    test_welfare_support_shows_eap_policies_and_private_checklist,
    test_welfare_talk_tells_the_manager_nothing_else,
    test_written_warning_stores_letter_and_uploads_it,
)
from tests.e2e.test_slack_incident import (  # noqa: F401
    answers,
    open_incident_form,
    test_existing_person_found_by_type_ahead,
    test_incident_full_path,
    test_no_manager_sends_card_to_authorisers,
    test_not_in_directory_gets_polite_message_and_nothing_stored,
    test_violence_marks_police_report_required,
)
from tests.slack_harness import SlackWorld
from tests.socket_harness import SocketWorld, start_socket_world


@pytest.fixture
async def slack(fresh_db_url: str) -> AsyncIterator[SlackWorld]:
    """The HTTP tests' fixture, answered over Socket Mode."""
    world, stop = await start_socket_world(fresh_db_url)
    try:
        yield world
    finally:
        await stop()


async def health(world: SocketWorld) -> tuple[int, dict]:
    async with world.http.get(f"{world.url}/healthz") as resp:
        return resp.status, await resp.json()


async def report(world: SlackWorld, user: str = "U0SAM") -> None:
    view = await open_incident_form(world, user)
    status, ack = await world.submit(user, view, answers())
    assert status == 200 and ack["response_action"] == "update", ack


async def incidents(world: SlackWorld) -> int:
    async with world.db.read() as session:
        return len((await session.execute(select(Incident))).scalars().all())


async def test_no_public_endpoint_and_health_says_connected(slack: SocketWorld) -> None:
    # Socket Mode needs no signing secret and opens no /slack/events.
    async with slack.http.post(f"{slack.url}/slack/events", data="x") as resp:
        assert resp.status in (404, 405)
    status, body = await health(slack)
    assert status == 200, body
    assert body["slack"]["mode"] == "socket"
    assert body["slack"]["connected"] is True and body["slack"]["state"] == "connected"
    # The app-level token opened the connection; the bot token did everything else.
    assert slack.fake.calls_to("apps.connections.open")


async def test_every_envelope_is_acknowledged(slack: SocketWorld) -> None:
    await report(slack)
    await slack.home("U0JO")
    assert slack.socket is not None
    assert set(slack.socket.sent_at) == set(slack.socket.acks), "an envelope went unanswered"
    # How long each took is the metrics' business (acks past deadline), not a timed test's.
    # An envelope bolt has no listener for is acknowledged too, so Slack does not resend it.
    envelope = await slack.socket.send(
        "events_api",
        {"type": "event_callback", "event": {"type": "reaction_added", "user": "U0SAM"}},
    )
    assert (await slack.socket.ack_for(envelope)).payload is None


async def test_reconnects_after_the_server_drops_the_socket(
    slack: SocketWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.socket_mode")
    await report(slack)
    assert slack.socket is not None
    await slack.socket.drop()
    await slack.socket.wait_connected(connections=2)
    await slack.eventually(lambda: slack.connection.status.state == "connected", what="state")
    # A fresh URL for the new connection: the first was single-use.
    assert len(slack.fake.calls_to("apps.connections.open")) == 2
    # The same flow carries on over the new connection.
    await report(slack, "U0NIA")
    assert await incidents(slack) == 2
    status, body = await health(slack)
    assert status == 200 and body["slack"]["reconnects"] == 1
    async with slack.http.get(f"{slack.url}/metrics") as resp:
        text = await resp.text()
    assert "safecontact_slack_socket_connected 1.0" in text
    assert "safecontact_slack_socket_reconnects_total 1.0" in text
    # The state is logged, and nothing about anyone in it.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "connection lost" in logged and "reconnected" in logged
    for private in ("Morgan", "U0SAM", "sam@example.org", "shouting"):
        assert private not in logged


async def test_slack_asks_for_a_new_connection(slack: SocketWorld) -> None:
    assert slack.socket is not None
    await slack.socket.ask_to_reconnect()
    await slack.socket.wait_connected(connections=2)
    await report(slack)
    assert await incidents(slack) == 1


async def test_backs_off_while_slack_refuses_then_connects(slack: SocketWorld) -> None:
    assert slack.socket is not None
    # The next two URLs are refused at the WebSocket, then apps.connections.open fails once.
    slack.socket.refuse_next = 2
    slack.fake.fail("apps.connections.open", status=500, times=1)
    await slack.socket.drop()
    status, body = await health(slack)
    await slack.socket.wait_connected(connections=2)
    await slack.eventually(lambda: slack.connection.status.state == "connected", what="state")
    # Each try asked for a new URL; none was tried twice.
    assert slack.socket.refused_links == 2
    opened = [c for c in slack.fake.calls if c.method.startswith("apps.connections.open")]
    assert len(opened) == 1 + 2 + 1 + 1  # the first, two refused, one 500, the good one
    status, body = await health(slack)
    assert status == 200 and body["slack"]["connected"] is True


async def test_health_is_degraded_while_disconnected(fresh_db_url: str) -> None:
    world, stop = await start_socket_world(fresh_db_url)
    try:
        assert world.socket is not None
        world.connection.backoff.base = world.connection.backoff.cap = 5.0
        world.socket.refuse_next = 100
        await world.socket.drop()
        await world.eventually(
            lambda: world.connection.status.failures >= 1, what="a failed reconnection"
        )
        status, body = await health(world)
        assert status == 503 and body["status"] == "degraded"
        assert body["slack"]["connected"] is False
        assert body["slack"]["state"] == "reconnecting"
        assert body["slack"]["failed_attempts"] >= 1
        assert "xapp" not in str(body)
        await asyncio.sleep(0)
    finally:
        await stop()
