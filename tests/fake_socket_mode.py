"""Slack's Socket Mode server on loopback, speaking the protocol as Slack does.

`apps.connections.open` (on the fake Web API, with the app-level token) hands out a
single-use `ws://127.0.0.1:PORT/link/?ticket=N`; a connection on it gets `hello`, then
whatever envelopes the test sends ({envelope_id, type, payload, accepts_response_payload}),
and each must be acknowledged with {envelope_id, payload?}. The test can drop the socket
from the server's side, or ask the client to reconnect with a `disconnect` message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None
    at: float


@dataclass
class FakeSocketMode:
    url: str = ""
    # Tickets handed out and not yet used; a ticket works once, as Slack's do.
    tickets: set[str] = field(default_factory=set)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    acks: dict[str, Ack] = field(default_factory=dict)
    sent_at: dict[str, float] = field(default_factory=dict)
    connections: int = 0
    refused_links: int = 0
    # Connections to refuse (answer 503 to the upgrade) before accepting again.
    refuse_next: int = 0
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _connected: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"ws://127.0.0.1:{self._runner.addresses[0][1]}/link/"

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def open_url(self) -> str:
        """What apps.connections.open answers: a fresh, single-use URL."""
        ticket = f"ticket-{next(self._ids)}"
        self.tickets.add(ticket)
        return f"{self.url}?ticket={ticket}&app_id=A1"

    @property
    def live(self) -> web.WebSocketResponse | None:
        open_ones = [ws for ws in self.sockets if not ws.closed]
        return open_ones[-1] if open_ones else None

    async def _link(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets or self.refuse_next > 0:
            self.refused_links += 1
            if self.refuse_next > 0:
                self.refuse_next -= 1
            return web.Response(status=401 if ticket not in self.tickets else 503)
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        self.connections += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A1"},
            }
        )
        self._connected.set()
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            body = json.loads(message.data)
            if "envelope_id" in body:
                self.acks[body["envelope_id"]] = Ack(
                    body["envelope_id"], body.get("payload"), time.monotonic()
                )
        return ws

    # -- what the test does ----------------------------------------------------------------
    async def wait_connected(self, *, connections: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.connections < connections or self.live is None:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the bot did not connect ({self.connections} of {connections} connections)"
                )
            await asyncio.sleep(0.02)

    async def send(self, kind: str, payload: dict[str, Any], **extra: Any) -> str:
        """Send an envelope on the live socket; return its envelope id."""
        ws = self.live
        assert ws is not None, "no Socket Mode connection is open"
        envelope_id = f"env-{next(self._ids)}"
        self.sent_at[envelope_id] = time.monotonic()
        await ws.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                **extra,
            }
        )
        return envelope_id

    async def ack_for(self, envelope_id: str, *, timeout: float = 10.0) -> Ack:
        deadline = time.monotonic() + timeout
        while envelope_id not in self.acks:
            if time.monotonic() > deadline:
                raise AssertionError(f"envelope {envelope_id} was never acknowledged")
            await asyncio.sleep(0.01)
        return self.acks[envelope_id]

    async def drop(self) -> None:
        """The server closes the socket, as Slack does when a connection is recycled."""
        ws = self.live
        assert ws is not None
        await ws.close(code=1001, message=b"going away")

    async def ask_to_reconnect(self) -> None:
        """Slack's `disconnect` message: the client is to open a new connection."""
        ws = self.live
        assert ws is not None
        await ws.send_json(
            {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "x"}}
        )
