"""The local web chat on the serve application: the page, Direct Line and the connector.

`mount` adds every route behind guard.loopback_only (the API, Direct Line and connector
calls need this start's secret too) and returns the outbox sender to use
for Teams-shaped messages while the web chat is on. Nothing is mounted at all when the
server has real Slack or Teams credentials and was not started with --dev (see
bot.webchat.wanted), so those routes are then plain 404s.
"""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from bot.letter_links import LetterLinks
from bot.runtime import Runtime
from bot.teams.sender import TeamsSender
from bot.webchat import demo
from bot.webchat.bridge import BotBridge
from bot.webchat.connector import Connector
from bot.webchat.conversations import ChatStore
from bot.webchat.directline import DirectLine
from bot.webchat.guard import SECRET_COOKIE, loopback_only
from bot.webchat.sender import WebChatSender

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
FRONTEND = HERE / "frontend"
# Microsoft's prebuilt Web Chat bundle, as `npm ci` in frontend/ installs it.
WEBCHAT_JS = FRONTEND / "node_modules" / "botframework-webchat" / "dist" / "webchat.js"
OWN_FILES = {"chat.js": "text/javascript", "chat.css": "text/css"}
NOT_INSTALLED = (
    "// Web Chat is not installed. Run `make run` in the safecontact checkout, or\n"
    "// `npm ci --prefix bot/webchat/frontend`, then reload this page.\n"
)
# Web Chat injects its styles at run time (emotion), hence 'unsafe-inline' for styles.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class WebChat:
    """What the web chat holds while the server runs."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = ChatStore(runtime.settings.staff)
        self.bridge = BotBridge(runtime, self.store)
        self.directline = DirectLine(self.store, self.bridge)
        self.connector = Connector(self.store)

    async def page(self, request: web.Request) -> web.StreamResponse:
        """The page, and with it this start's secret, as a cookie no script can read."""
        response = web.FileResponse(STATIC / "index.html", headers=HEADERS)
        response.set_cookie(
            SECRET_COOKIE, self.store.secret, path="/", httponly=True, samesite="Strict"
        )
        return response

    async def own_file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in OWN_FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC / name, headers=HEADERS)

    async def webchat_js(self, request: web.Request) -> web.StreamResponse:
        if not WEBCHAT_JS.is_file():
            return web.Response(
                status=503, text=NOT_INSTALLED, content_type="text/javascript", headers=HEADERS
            )
        return web.FileResponse(WEBCHAT_JS, headers={**HEADERS, "Cache-Control": "max-age=3600"})

    async def people(self, request: web.Request) -> web.Response:
        """Who you can be, and how many messages each has had (for the page's badges)."""
        settings = self.runtime.settings
        names = {e.email: e.name for e in settings.staff}
        available, unavailable = [], []
        for entry in settings.staff:
            chatter = self.store.people.get(entry.teams_user_id or "")
            if chatter is None:
                unavailable.append({"name": entry.name, "reason": "no teams_user_id"})
                continue
            manager = names.get(entry.manager or "")
            available.append(
                {
                    "id": chatter.user_id,
                    "name": entry.name,
                    "roles": list(entry.roles),
                    "note": demo.ROLE_NOTES.get(entry.email)
                    or (f"reports to {manager}" if manager else ""),
                    "messages": self.store.bot_messages(chatter),
                }
            )
        return web.json_response(
            {
                "office": settings.organisation.name,
                "demo": demo.is_demo(settings),
                "chats": self.store.run_id,
                "teams": settings.teams_app_configured,
                "people": available,
                "unavailable": unavailable,
            },
            headers={"Cache-Control": "no-store"},
        )


WEBCHAT = web.AppKey("webchat", WebChat)


def mount(
    app: web.Application,
    runtime: Runtime,
    *,
    teams_sender: TeamsSender | None,
    links: LetterLinks | None = None,
) -> WebChatSender:
    """Add the web chat's routes (loopback only); the sender the outbox should use."""
    chat = WebChat(runtime)
    app[WEBCHAT] = chat
    # The page and its files hand out nothing; every call behind them needs the secret
    # (the connector's is in its path: connector.py).
    public = [
        ("GET", "/", chat.page),
        ("GET", "/webchat/static/{name}", chat.own_file),
        ("GET", "/webchat/vendor/webchat.js", chat.webchat_js),
        *chat.connector.routes(),
    ]
    calls = [("GET", "/webchat/api/people", chat.people), *chat.directline.routes()]
    for method, path, handler in public:
        app.router.add_route(method, path, loopback_only(handler))
    for method, path, handler in calls:
        app.router.add_route(method, path, loopback_only(handler, secret=chat.store.secret))
    if not WEBCHAT_JS.is_file():
        log.warning("Web Chat is not installed (%s); run `make run` to install it", WEBCHAT_JS)
    return WebChatSender(chat.store, chat.bridge, teams=teams_sender, links=links)


def announce(app: web.Application, base_url: str) -> None:
    """Tell the web chat where the server listens (http://127.0.0.1:<port>), so the
    outbox can deliver before anyone has opened the page."""
    chat = app.get(WEBCHAT)
    if chat is not None and chat.store.base_url is None:
        chat.store.base_url = base_url.rstrip("/")
