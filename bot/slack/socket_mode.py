"""Slack over Socket Mode: the bot connects out to Slack, so no public endpoint is needed.

With SLACK_APP_TOKEN (xapp-...) set, `serve` opens a WebSocket to Slack with bolt's async
Socket Mode adapter on slack_sdk's aiohttp client. Every envelope (slash command,
interactivity, event) goes through the same bolt app and the same `dispatch` as
POST /slack/events, so each command, form, button and App Home event behaves as it does
over HTTP and is acknowledged inside the same 3 s.

Two things are ours, on top of the SDK's client:

- **Backoff.** The SDK retries a failed connection every `ping_interval` seconds, for
  ever, against the URL it already has. Here each try asks `apps.connections.open` for a
  fresh URL (they are single-use), and the tries back off exponentially with jitter up to
  a minute, so an outage on Slack's side or ours is not met with a stream of requests.
- **State.** Connected, reconnecting (with the attempt and the wait), or stopped, logged
  without personal data, reported by /healthz and exported to /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_base_handler import AsyncBaseSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.logging_setup import request_scope
from bot.runtime import Runtime
from bot.slack.app import build_app, dispatch, share_session

log = logging.getLogger(__name__)
# The SDK's own logger: its debug lines print whole envelopes (personal data), so it is
# never more verbose than warnings, whatever the root logger says.
SDK_LOG = logging.getLogger("bot.slack.socket_mode.sdk")
SDK_LOG.setLevel(logging.WARNING)

# Seconds between pings; a connection with no pong for four of them is replaced.
PING_INTERVAL = 10.0


@dataclass
class Backoff:
    """Seconds to wait before the n-th retry: base, 2 base, 4 base ... up to cap, +-20%."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, failures: int) -> float:
        return min(self.cap, self.base * 2 ** max(0, failures - 1)) * random.uniform(0.8, 1.2)


@dataclass
class SocketState:
    """The connection as /healthz and the log describe it: no personal data, no tokens."""

    state: str = "starting"  # starting | connecting | connected | reconnecting | stopped
    since: datetime = field(default_factory=lambda: datetime.now(UTC))
    reconnects: int = 0
    failures: int = 0
    retry_in: float | None = None
    last_error: str | None = None
    was_connected: bool = False

    def move(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.since = datetime.now(UTC)

    def as_dict(self, *, connected: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "mode": "socket",
            "connected": connected,
            "state": self.state,
            "since": self.since.isoformat(timespec="seconds"),
            "reconnects": self.reconnects,
        }
        if not connected and self.failures:
            body["failed_attempts"] = self.failures
            body["last_error"] = self.last_error
        return body


class BackoffSocketModeClient(SocketModeClient):
    """slack_sdk's aiohttp Socket Mode client, connecting with backoff and a fresh URL."""

    def __init__(
        self, *, status: SocketState, backoff: Backoff, runtime: Runtime, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.status = status
        self.backoff = backoff
        self.runtime = runtime

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        """The SDK's reconnect, except that the URL is fetched inside `connect`, under its
        backoff; the lock still keeps its monitor and receiver from reconnecting twice."""
        try:
            await asyncio.wait_for(self.connect_operation_lock.acquire(), timeout=5)
        except TimeoutError:
            return  # another reconnect is already under way
        try:
            if force or not await self.is_connected():
                self.wss_uri = None
                await self.connect()
        finally:
            self.connect_operation_lock.release()

    async def connect(self) -> None:
        status = self.status
        if status.was_connected:
            status.move("reconnecting")
            self.runtime.metrics.socket_state(connected=False)
            log.warning("Slack Socket Mode connection lost; reconnecting")
        else:
            status.move("connecting")
        while not self.closed:
            if status.failures:
                delay = self.backoff.delay(status.failures)
                status.retry_in = delay
                log.warning(
                    "Slack Socket Mode: connection attempt %d failed (%s); next in %.1f s",
                    status.failures,
                    status.last_error,
                    delay,
                )
                await asyncio.sleep(delay)
                if self.closed:
                    return
            try:
                await self._open()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.closed:
                    return
                status.failures += 1
                status.last_error = _describe(exc)
                self.wss_uri = None  # a URL that failed is not tried again
                continue
            reconnected = status.was_connected
            status.failures, status.retry_in, status.last_error = 0, None, None
            status.was_connected = True
            if reconnected:
                status.reconnects += 1
            status.move("connected")
            self.runtime.metrics.socket_state(connected=True, reconnected=reconnected)
            log.info("Slack Socket Mode %s", "reconnected" if reconnected else "connected")
            return

    async def _open(self) -> None:
        """One try: a fresh URL, a WebSocket, and the SDK's monitor and receiver on it."""
        old = self.current_session
        self.auto_reconnect_enabled = False
        if old is not None:
            with contextlib.suppress(Exception):
                await old.close()
        if self.aiohttp_client_session.closed:
            self.aiohttp_client_session = aiohttp.ClientSession()
        if self.wss_uri is None:
            self.wss_uri = await self.issue_new_wss_url()
        self.current_session = await self.aiohttp_client_session.ws_connect(
            self.wss_uri,
            autoping=False,
            heartbeat=self.ping_interval,
            proxy=self.proxy,
            ssl=self.web_client.ssl if self.web_client.ssl is not None else True,
        )
        self.wss_uri = None  # used: the next connection asks for a new one
        self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
        self.stale = False
        self.last_ping_pong_time = None
        await self.current_session.ping(f"sdk-ping-pong:{time.time()}".encode())
        if self.current_session_monitor is not None:
            self.current_session_monitor.cancel()
        self.current_session_monitor = asyncio.ensure_future(self.monitor_current_session())
        if self.message_receiver is not None:
            self.message_receiver.cancel()
        self.message_receiver = asyncio.ensure_future(self.receive_messages())


def _describe(exc: BaseException) -> str:
    """An error for the log and /healthz: its kind and Slack's error code, nothing more."""
    response = getattr(exc, "response", None)
    error = None
    if response is not None and isinstance(getattr(response, "data", None), dict):
        error = response.data.get("error")
    return f"{type(exc).__name__}: {error}" if error else type(exc).__name__


class SocketModeHandler(AsyncBaseSocketModeHandler):
    """bolt's AsyncSocketModeHandler with our client and our dispatch.

    bolt's own class builds a plain SocketModeClient in its constructor; this one builds
    the backoff client above, and sends each envelope through `bot.slack.app.dispatch`,
    as POST /slack/events does, then acknowledges it with bolt's `send_async_response`.
    """

    app: AsyncApp
    client: BackoffSocketModeClient

    def __init__(
        self,
        app: AsyncApp,
        runtime: Runtime,
        *,
        app_token: str,
        status: SocketState,
        backoff: Backoff,
        ping_interval: float = PING_INTERVAL,
    ) -> None:
        self.app = app
        self.app_token = app_token
        self.runtime = runtime
        self.client = BackoffSocketModeClient(
            app_token=app_token,
            logger=SDK_LOG,
            web_client=app.client,
            ping_interval=ping_interval,
            status=status,
            backoff=backoff,
            runtime=runtime,
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        arrived = asyncio.get_running_loop().time()
        with request_scope():
            started = time.time()
            try:
                bolt_request = AsyncBoltRequest(
                    mode="socket_mode", body=req.payload, headers=build_headers(req)
                )
                response = await dispatch(
                    self.app, self.runtime, bolt_request, transport="slack_socket", arrived=arrived
                )
            except (ValueError, TypeError, AttributeError, KeyError):
                response = BoltResponse(status=400, body="malformed payload")
            if response.status == 200:
                await send_async_response(client, req, response, started)
                return
            # Acknowledged all the same: Slack would otherwise send it again, and a payload
            # we refused once we refuse every time.
            log.info("refused a Socket Mode %s envelope (%d)", req.type, response.status)
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


class SocketConnection:
    """The Socket Mode connection of one server: started after the database is ready,
    stopped before it closes."""

    def __init__(self, runtime: Runtime, bolt: AsyncApp) -> None:
        self.runtime = runtime
        self.bolt = bolt
        self.status = SocketState()
        self.backoff = Backoff()
        self.ping_interval = PING_INTERVAL
        self.handler: SocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        token = self.runtime.settings.slack_app_token
        assert token is not None
        # Built here, not earlier: the SDK's client starts a task in its constructor.
        self.handler = SocketModeHandler(
            self.bolt,
            self.runtime,
            app_token=token.get_secret_value(),
            status=self.status,
            backoff=self.backoff,
            ping_interval=self.ping_interval,
        )
        self.runtime.metrics.socket_state(connected=False)
        # In the background: the server serves /healthz and delivers while it connects.
        self._connecting = asyncio.create_task(
            self.handler.client.connect_to_new_endpoint(force=True)
        )

    async def stop(self) -> None:
        self.status.move("stopped")
        self.runtime.metrics.socket_state(connected=False)
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting
        if self.handler is not None:
            with contextlib.suppress(Exception):
                await self.handler.close_async()
        log.info("Slack Socket Mode stopped")

    async def connected(self) -> bool:
        return (
            self.handler is not None
            and self.status.state == "connected"
            and await self.handler.client.is_connected()
        )

    async def health(self) -> tuple[str, dict[str, Any], bool]:
        up = await self.connected()
        return "slack", self.status.as_dict(connected=up), up


SOCKET = web.AppKey("slack_socket", SocketConnection)


def attach(web_app: web.Application, runtime: Runtime) -> SocketConnection:
    """Connect to Slack while the server runs. Call it after the server's own start-up is
    registered, so no envelope arrives before the database is migrated and synced."""
    from bot.server import HEALTH

    bolt = build_app(runtime)
    share_session(web_app, bolt.client)
    connection = SocketConnection(runtime, bolt)
    web_app[SOCKET] = connection
    web_app[HEALTH].append(connection.health)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        await connection.start()
        yield
        await connection.stop()

    web_app.cleanup_ctx.append(lifecycle)
    return connection
