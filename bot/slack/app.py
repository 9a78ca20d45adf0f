"""The Slack app: a bolt AsyncApp mounted on the serve application at POST /slack/events."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.slack import commands, interactions
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
    return app


def build_sender(runtime: Runtime) -> SlackSender:
    return SlackSender(_client(runtime, retries=False))


def mount(web_app: web.Application, runtime: Runtime) -> AsyncApp:
    bolt = build_app(runtime)
    web_app[SLACK_APP] = bolt

    async def slack_events(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="request body is not UTF-8")
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=request.headers,  # type: ignore[arg-type]
        )
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app.router.add_post("/slack/events", slack_events)
    return bolt
