"""The real server with Slack over Socket Mode, driven by a loopback Socket Mode server.

`SocketWorld` is a `SlackWorld` whose requests travel as Socket Mode envelopes instead of
signed HTTP posts: a slash command as `slash_commands`, a click or a form as
`interactive`, an event as `events_api`, each answered by the bot's acknowledgement on
the socket. So every flow written for HTTP can be walked over Socket Mode unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from bot.settings import Settings
from bot.slack import socket_mode
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import FakeSocketMode
from tests.slack_harness import DIRECTORY, SlackWorld, launch


def envelope_for(body: str, content_type: str) -> tuple[str, dict[str, Any]]:
    """The Socket Mode envelope type and payload Slack sends for an HTTP request body."""
    if content_type == "application/json":
        return "events_api", json.loads(body)
    form = dict(parse_qsl(body, keep_blank_values=True))
    if "payload" in form:
        return "interactive", json.loads(form["payload"])
    return "slash_commands", form


@dataclass
class SocketWorld(SlackWorld):
    socket: FakeSocketMode | None = None
    app: web.Application | None = None

    async def post_json(self, body: str, content_type: str) -> tuple[int, Any]:
        assert self.socket is not None
        kind, payload = envelope_for(body, content_type)
        envelope_id = await self.socket.send(kind, payload)
        ack = await self.socket.ack_for(envelope_id)
        return 200, ack.payload

    @property
    def connection(self) -> socket_mode.SocketConnection:
        assert self.app is not None
        return self.app[socket_mode.SOCKET]


async def start_socket_world(
    db_url: str, *, clock: Callable[[], Any] | None = None, **settings_kw: Any
) -> tuple[SocketWorld, Callable[[], Any]]:
    fake = FakeSlack()
    api_url = await fake.start()
    fake.socket = FakeSocketMode()
    await fake.socket.start()
    settings_kw.setdefault("staff", DIRECTORY)
    settings = Settings(
        database_url=db_url,
        slack_bot_token=fake.token,
        slack_app_token=fake.app_token,
        slack_api_url=api_url,
        **settings_kw,
    )

    def quick_reconnects(app: web.Application) -> None:
        app[socket_mode.SOCKET].backoff = socket_mode.Backoff(base=0.05, cap=0.2)

    url, runtime, app, runner = await launch(settings, clock=clock, tune=quick_reconnects)
    http = aiohttp.ClientSession()
    world = SocketWorld(url, fake, runtime.db, runtime, http, socket=fake.socket, app=app)
    await fake.socket.wait_connected()

    async def stop() -> None:
        await http.close()
        await runner.cleanup()
        assert fake.socket is not None
        await fake.socket.stop()
        await fake.stop()

    return world, stop
