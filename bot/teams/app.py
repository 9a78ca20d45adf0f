"""Teams on the serve application: POST /api/messages through botbuilder's CloudAdapter.

Authentication is the SDK's: with MICROSOFT_APP_ID set, every activity must carry a
Bot Framework JWT, and one without a valid token is answered 401 before anything runs.
With no app id the SDK would accept anyone, so we allow that only in development mode
(the Bot Framework Emulator, on 127.0.0.1); otherwise every activity is refused.

The handler reads and checks the body itself, so a malformed request is a 4xx with a
reason, never a stack trace from deep in the SDK.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from aiohttp import web
from botbuilder.core import BotAdapter
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)

from bot.letter_links import LetterLinks
from bot.runtime import Runtime
from bot.settings import ConfigError, Settings
from bot.teams import tokens
from bot.teams.closed import ENDPOINT, refused
from bot.teams.handler import SafecontactBot
from bot.teams.payloads import activity_from
from bot.teams.refs import ReferenceStore
from bot.teams.sender import TeamsSender
from dialogs.errors import BadRequest
from storage.db import WRITE_DEADLINE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Config:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str | None
    APP_PASSWORD: str | None
    APP_TENANTID: str | None
    APP_TYPE: str


def _config(settings: Settings) -> _Config:
    password = settings.microsoft_app_password
    config = _Config(
        APP_ID=settings.microsoft_app_id or None,
        APP_PASSWORD=password.get_secret_value() if password else None,
        APP_TENANTID=settings.microsoft_app_tenant_id or None,
        APP_TYPE=settings.microsoft_app_type,
    )
    if (
        config.APP_ID
        and config.APP_TYPE.lower() == "singletenant"
        and not (config.APP_PASSWORD and config.APP_TENANTID)
    ):
        raise ConfigError(
            "MICROSOFT_APP_TYPE is SingleTenant: set MICROSOFT_APP_PASSWORD and "
            "MICROSOFT_APP_TENANT_ID too"
        )
    return config


def build_adapter(settings: Settings) -> CloudAdapter:
    # The signing keys fetched without blocking (bot/teams/tokens.py).
    tokens.install(settings.microsoft_openid_metadata_url)
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(_config(settings)))


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


# Seconds an invoke (a card's button or form) has to be stored, from its arrival: Teams
# waits 5 s for the answer, and the rest is for the commit and the reply.
INVOKE_WRITE_WAIT = 4.0


def endpoint(adapter: CloudAdapter, bot: SafecontactBot, *, accept: bool) -> web.RequestHandler:
    settings = bot.runtime.settings

    async def messages(request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if not accept:
            return refused()
        if request.content_type != "application/json":
            return _problem(415, "Send the activity as application/json.")
        try:
            activity = activity_from(json.loads(await request.read()))
        except (ValueError, UnicodeDecodeError):
            return _problem(400, "The request body is not JSON.")
        except BadRequest as exc:
            return _problem(400, exc.message)
        auth_header = request.headers.get("Authorization", "")
        if settings.microsoft_app_id:
            # Refused before anything is fetched: a token that can never be valid.
            reason = tokens.refusal(
                auth_header,
                app_id=settings.microsoft_app_id,
                tenant_id=settings.microsoft_app_tenant_id,
            )
            if reason is not None:
                log.info("refused a Bot Framework request: %s", reason)
                return _problem(401, "The Bot Framework token is missing or not valid.")
        try:
            auth = await asyncio.wait_for(
                adapter.bot_framework_authentication.authenticate_request(activity, auth_header),
                tokens.AUTH_TIMEOUT,
            )
        except Exception as exc:  # PermissionError, a token PyJWT cannot read, a timeout
            log.info("refused a Bot Framework request: %s", exc)
            return _problem(401, "The Bot Framework token is missing or not valid.")
        if activity.type == "invoke":
            # As a Slack view submission (bot/slack/app.dispatch): a write that cannot be
            # made before Teams stops waiting is refused with "try again", not stored unseen.
            WRITE_DEADLINE.set(asyncio.get_running_loop().time() + INVOKE_WRITE_WAIT)
        response = await adapter.process_activity(auth, activity, bot.on_turn)
        if activity.type == "invoke":  # a card's button: Teams waits 5 s for the answer
            bot.runtime.metrics.acked("teams_invoke", time.monotonic() - arrived)
        if response is None:
            return web.Response(status=201)
        return web.json_response(response.body, status=response.status)

    return messages


def mount(
    web_app: web.Application, runtime: Runtime, *, dev: bool, links: LetterLinks | None = None
) -> TeamsSender | None:
    """Add POST /api/messages; the sender, when this server may talk to Teams at all."""
    settings = runtime.settings
    adapter = build_adapter(settings)
    refs = ReferenceStore(runtime.db)
    accept = settings.teams_app_configured or dev
    web_app.router.add_post(
        ENDPOINT, endpoint(adapter, SafecontactBot(runtime, refs), accept=accept)
    )
    if not accept:
        return None
    return build_sender(adapter, refs, settings, links=links)


def build_sender(
    adapter: BotAdapter,
    refs: ReferenceStore,
    settings: Settings,
    *,
    links: LetterLinks | None = None,
) -> TeamsSender:
    return TeamsSender(
        adapter,
        refs,
        app_id=settings.microsoft_app_id or None,
        timeout=settings.teams_timeout_seconds,
        links=links,
    )
