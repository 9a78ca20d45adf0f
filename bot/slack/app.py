"""The Slack app: a bolt AsyncApp mounted on the serve application at POST /slack/events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.slack.body import bolt_request as bolt_request_for
from bot.slack.dispatch import register
from bot.slack.sender import SlackSender
from storage.db import WRITE_DEADLINE

log = logging.getLogger(__name__)

SLACK_APP = web.AppKey("slack_app", AsyncApp)
SLACK_CLIENTS = web.AppKey("slack_clients", list)
# Seconds a view submission has to be stored, from its arrival; Slack waits 3 s for the
# ack, and the rest is for the commit and the answer.
SUBMISSION_WRITE_WAIT = 2.5


def web_client(runtime: Runtime, *, retries: bool) -> AsyncWebClient:
    """The Slack Web API client for this server (its token, base URL and timeout); with
    `retries`, 429s are waited out as bolt's own listeners need, while the outbox does its
    own retrying and wants each failure back at once."""
    settings = runtime.settings
    assert settings.slack_bot_token is not None
    base_url = settings.slack_api_url
    if not base_url.endswith("/"):
        base_url += "/"
    handlers = (
        [AsyncRateLimitErrorRetryHandler(max_retry_count=2), AsyncConnectionErrorRetryHandler()]
        if retries
        else []
    )
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=base_url,
        # Seconds; the shared session carries it too (share_session).
        # slack_sdk types it int, but hands it to aiohttp.ClientTimeout, which takes float.
        timeout=settings.slack_timeout_seconds,  # type: ignore[arg-type]
        retry_handlers=handlers,
    )


def build_app(runtime: Runtime) -> AsyncApp:
    """The bolt app with every listener registered; signature verification always on.

    Over Socket Mode there is no signature to check (the socket itself is authenticated
    by the app-level token) and bolt skips the check; over HTTP it is never skipped.
    """
    settings = runtime.settings
    secret = settings.slack_signing_secret
    assert secret is not None or settings.slack_socket_mode
    app = AsyncApp(
        # Named, so bolt does not call inspect.stack() to find a name (slow at start-up).
        name="safecontact",
        client=web_client(runtime, retries=True),
        signing_secret=secret.get_secret_value() if secret is not None else "",
        request_verification_enabled=True,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    register(app, runtime)

    @app.error
    async def on_error(error: Exception, request: AsyncBoltRequest) -> BoltResponse | None:
        # Only signed requests get this far; a payload whose shape no Slack client sends
        # is the client's mistake (4xx), anything else is ours and stays a 5xx.
        if isinstance(error, KeyError | TypeError | ValueError | AttributeError | IndexError):
            log.warning("refused a malformed Slack payload: %r", error)
            return BoltResponse(status=400, body="malformed payload")
        log.error("error handling a Slack request", exc_info=error)
        return None

    return app


def build_sender(runtime: Runtime, web_app: web.Application | None = None) -> SlackSender:
    sender = SlackSender(web_client(runtime, retries=False), enclosures=runtime.enclosures)
    if web_app is not None:
        share_session(web_app, sender.client)
    return sender


def share_session(web_app: web.Application, client: AsyncWebClient) -> None:
    """Give the client the server's one HTTP session to Slack while the server runs.

    Without one, slack_sdk opens a new session and connection for every call, which cost
    more CPU than anything else on the delivery path; with it, connections are reused.
    """
    if SLACK_CLIENTS not in web_app:
        clients: list[AsyncWebClient] = []
        web_app[SLACK_CLIENTS] = clients

        async def session(app: web.Application) -> AsyncIterator[None]:
            timeout = aiohttp.ClientTimeout(total=max(c.timeout for c in clients))
            async with aiohttp.ClientSession(timeout=timeout) as shared:
                for each in clients:
                    each.session = shared
                yield
                for each in clients:
                    each.session = None

        web_app.cleanup_ctx.append(session)
    web_app[SLACK_CLIENTS].append(client)


def well_formed(body: Any) -> bool:
    """The shapes bolt's own routing assumes; it raises on anything else, before our code."""
    if not isinstance(body, dict):
        return False
    if "type" in body and not isinstance(body["type"], str):
        return False
    for key in ("user", "view", "event", "container", "channel", "message"):
        if key in body and body[key] is not None and not isinstance(body[key], dict):
            return False
    for key in ("view", "event"):
        if isinstance(body.get(key), dict) and not isinstance(body[key].get("type", ""), str):
            return False
    if body.get("type") in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("type"), str):
            return False
    if body.get("type") == "event_callback" and not isinstance(body.get("event"), dict):
        return False
    if "actions" not in body:
        return True
    actions = body["actions"]
    return (
        # bolt reads actions[0] of any body that has the key, even an empty list
        isinstance(actions, list) and bool(actions) and all(isinstance(a, dict) for a in actions)
    )


async def dispatch(
    bolt: AsyncApp,
    runtime: Runtime,
    bolt_request: AsyncBoltRequest,
    *,
    transport: str,
    arrived: float,
) -> BoltResponse:
    """What every way in from Slack shares, after its own checks: the payload's shape, a
    view submission's write deadline, bolt, and the time the ack took.

    `arrived` is the event-loop time the request came in, for the ack's time; the write
    deadline runs from here, as it always has (reading and checking a body takes
    microseconds).
    """
    if not well_formed(bolt_request.body):
        return BoltResponse(status=400, body="malformed payload")
    if bolt_request.body.get("type") == "view_submission":
        # Stored before the ack: a write that cannot be made in time is refused with
        # "try again" rather than stored after Slack has given up on the answer.
        WRITE_DEADLINE.set(asyncio.get_running_loop().time() + SUBMISSION_WRITE_WAIT)
    response = await bolt.async_dispatch(bolt_request)
    runtime.metrics.acked(transport, asyncio.get_running_loop().time() - arrived)
    return response


def mount(web_app: web.Application, runtime: Runtime) -> AsyncApp:
    bolt = build_app(runtime)
    assert runtime.settings.slack_signing_secret is not None
    verifier = SignatureVerifier(runtime.settings.slack_signing_secret.get_secret_value())
    web_app[SLACK_APP] = bolt
    share_session(web_app, bolt.client)

    async def slack_events(request: web.Request) -> web.Response:
        arrived = asyncio.get_running_loop().time()
        raw = await request.read()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="request body is not UTF-8")
        try:
            valid = verifier.is_valid_request(body, dict(request.headers))
        except (TypeError, ValueError):  # a signature no Slack request carries (non-ASCII)
            valid = False
        if not valid:
            return web.Response(status=401, text="invalid signature")
        try:
            bolt_request = bolt_request_for(
                body, query=request.query_string, headers=request.headers
            )
        except (ValueError, TypeError, AttributeError):
            # Bolt parses before it verifies; a body no Slack client sends is refused here.
            return web.Response(status=400, text="malformed request body")
        bolt_response = await dispatch(
            bolt, runtime, bolt_request, transport="slack_http", arrived=arrived
        )
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post("/slack/events", slack_events)
    return bolt
