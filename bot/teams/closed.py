"""/api/messages on a server that cannot talk to Teams: every activity is refused.

Kept apart from bot/teams/app.py so that such a server (Slack only) never imports
botbuilder, about a fifth of start-up.
"""

from __future__ import annotations

from aiohttp import web

ENDPOINT = "/api/messages"
REFUSED = "This endpoint needs a Bot Framework token; the server has no Microsoft app id."


def refused() -> web.Response:
    return web.json_response({"error": REFUSED}, status=401)


async def _closed(_request: web.Request) -> web.Response:
    return refused()


def mount(web_app: web.Application) -> None:
    web_app.router.add_post(ENDPOINT, _closed)
