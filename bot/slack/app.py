"""The Slack app: a bolt AsyncApp mounted on the serve application at POST /slack/events."""

from __future__ import annotations

import logging
from typing import Any

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
from bot.slack import commands, interactions, monitoring_handlers, strategy_handlers
from bot.slack.sender import SlackSender

log = logging.getLogger(__name__)

SLACK_APP = web.AppKey("slack_app", AsyncApp)


def _client(runtime: Runtime, *, retries: bool) -> AsyncWebClient:
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
        timeout=10,
        retry_handlers=handlers,
    )


def build_app(runtime: Runtime) -> AsyncApp:
    """The bolt app with every listener registered; signature verification always on."""
    settings = runtime.settings
    assert settings.slack_signing_secret is not None
    app = AsyncApp(
        client=_client(runtime, retries=True),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        request_verification_enabled=True,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    commands.register(app, runtime)
    interactions.register(app, runtime)
    strategy_handlers.register(app, runtime)
    monitoring_handlers.register(app, runtime)

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


def build_sender(runtime: Runtime) -> SlackSender:
    return SlackSender(_client(runtime, retries=False))


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
    actions = body.get("actions")
    return actions is None or (
        isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    )


def mount(web_app: web.Application, runtime: Runtime) -> AsyncApp:
    bolt = build_app(runtime)
    assert runtime.settings.slack_signing_secret is not None
    verifier = SignatureVerifier(runtime.settings.slack_signing_secret.get_secret_value())
    web_app[SLACK_APP] = bolt

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="request body is not UTF-8")
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401, text="invalid signature")
        try:
            bolt_request = AsyncBoltRequest(
                body=body,
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
        except (ValueError, TypeError, AttributeError):
            # Bolt parses before it verifies; a body no Slack client sends is refused here.
            return web.Response(status=400, text="malformed request body")
        if not well_formed(bolt_request.body):
            return web.Response(status=400, text="malformed payload")
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post("/slack/events", slack_events)
    return bolt
