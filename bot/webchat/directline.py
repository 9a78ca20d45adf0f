"""Direct Line 3.0, the part Web Chat uses when polling, on this server.

    POST /v3/directline/tokens/generate            a token for one person's chat
    POST /v3/directline/tokens/refresh             a fresh token for the same chat
    POST /v3/directline/conversations              start (or resume) the chat of the token
    GET  /v3/directline/conversations/{id}         reconnect
    GET  /v3/directline/conversations/{id}/activities?watermark=N   poll
    POST /v3/directline/conversations/{id}/activities               send

Web Chat is given `domain: <this server>/v3/directline` and `webSocket: false`, so it
polls. The token is what names the person: it is granted for one conversation, and the
bot hears `from` as the person the token was granted for, whatever the browser puts in
an activity. There is no secret: the page lets you choose who you are, which is the
point of a trial chat and why guard.py keeps it to this computer.

A message goes to the bot as a Teams message; a click on a card (Web Chat's postBack of
the Action.Submit that cards.py put in place of an Action.Execute) goes as the
`adaptiveCard/action` invoke Teams would send, and its answer is applied as Teams
applies it: a card replaces the card clicked, a message is shown to the person.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from aiohttp import web
from botbuilder.core import InvokeResponse

from bot.webchat.bridge import BotBridge
from bot.webchat.cards import CARD, Click, click_from
from bot.webchat.connector import for_browser
from bot.webchat.conversations import BOT_ID, BOT_NAME, TOKEN_SECONDS, ChatStore, Conversation
from dialogs.errors import BadRequest

log = logging.getLogger(__name__)

PREFIX = "/v3/directline"
MAX_TEXT = 10_000
MESSAGE = "application/vnd.microsoft.activity.message"
ERROR = "application/vnd.microsoft.error"


def problem(status: int, code: str, message: str) -> web.Response:
    """A Direct Line ErrorResponse."""
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def base_url_of(request: web.Request) -> str | None:
    """http://<local address>:<port> of the connection: where this server can be reached."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if not sockname:
        return None
    host, port = sockname[0], sockname[1]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _json(request: web.Request, *, optional: bool = False) -> Any:
    raw = await request.read()
    if not raw and optional:
        return {}
    if request.content_type != "application/json":
        raise BadRequest("Send JSON (Content-Type: application/json).")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The body is not JSON.") from None


class DirectLine:
    def __init__(self, store: ChatStore, bridge: BotBridge) -> None:
        self.store = store
        self.bridge = bridge

    # -- who is asking ---------------------------------------------------------------
    def _learn_address(self, request: web.Request) -> None:
        if self.store.base_url is None:
            self.store.base_url = base_url_of(request)

    def _token_of(self, request: web.Request) -> str | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _authorised(
        self, request: web.Request, conversation_id: str | None = None
    ) -> tuple[Conversation | None, str, web.Response | None]:
        """The conversation the bearer token grants, checked against the URL's."""
        token = self._token_of(request)
        if token is None:
            return None, "", problem(401, "BadArgument", "Send the token as 'Bearer <token>'.")
        granted = self.store.granted(token)
        if granted is None:
            return None, "", problem(403, "TokenExpired", "The token is unknown or has expired.")
        if conversation_id is not None and conversation_id != granted:
            return None, "", problem(403, "BadArgument", "The token is for another conversation.")
        conversation = self.store.conversation(granted)
        if conversation is None:  # the person left the directory
            return None, "", problem(404, "ConversationNotFound", "No such conversation.")
        return conversation, token, None

    def _session(self, conversation: Conversation, token: str) -> dict[str, Any]:
        return {
            "conversationId": conversation.id,
            "token": token,
            "expires_in": TOKEN_SECONDS,
            "userId": conversation.chatter.user_id,
        }

    # -- tokens ----------------------------------------------------------------------
    async def generate(self, request: web.Request) -> web.Response:
        """A token for the chat of the person chosen on the page (body: {user: {id}})."""
        try:
            body = await _json(request)
        except BadRequest as exc:
            return problem(400, "BadArgument", exc.message)
        user = body.get("user") if isinstance(body, dict) else None
        user_id = user.get("id") if isinstance(user, dict) else None
        chatter = self.store.chatter_by_user_id(user_id) if isinstance(user_id, str) else None
        if chatter is None:
            return problem(400, "BadArgument", "Choose someone from the staff directory (user.id).")
        conversation = self.store.conversation_of(chatter)
        return web.json_response(self._session(conversation, self.store.grant(conversation.id)))

    async def refresh(self, request: web.Request) -> web.Response:
        conversation, _, refused = self._authorised(request)
        if refused is not None:
            return refused
        assert conversation is not None
        return web.json_response(self._session(conversation, self.store.grant(conversation.id)))

    # -- conversations -------------------------------------------------------------------
    async def start(self, request: web.Request) -> web.Response:
        """Open the token's chat: the bot is added to it (and says hello, the first time),
        so its conversation reference points at this chat."""
        conversation, token, refused = self._authorised(request)
        if refused is not None:
            return refused
        assert conversation is not None
        self._learn_address(request)
        try:
            first = await self.bridge.install(conversation)
        except Exception:
            return self._bot_failed("starting a conversation")
        return web.json_response(self._session(conversation, token), status=201 if first else 200)

    async def reconnect(self, request: web.Request) -> web.Response:
        conversation, token, refused = self._authorised(
            request, request.match_info["conversation_id"]
        )
        if refused is not None:
            return refused
        assert conversation is not None
        return web.json_response(self._session(conversation, token))

    # -- activities ------------------------------------------------------------------
    async def poll(self, request: web.Request) -> web.Response:
        conversation, _, refused = self._authorised(request, request.match_info["conversation_id"])
        if refused is not None:
            return refused
        assert conversation is not None
        self._learn_address(request)
        raw = request.query.get("watermark", "") or "0"
        if not raw.isdigit() or len(raw) > 12:
            return problem(400, "BadArgument", "The watermark is not one this server gave.")
        activities, watermark = conversation.since(int(raw))
        return web.json_response({"activities": activities, "watermark": str(watermark)})

    async def post(self, request: web.Request) -> web.Response:
        conversation, _, refused = self._authorised(request, request.match_info["conversation_id"])
        if refused is not None:
            return refused
        assert conversation is not None
        self._learn_address(request)
        try:
            body = await _json(request)
            kind, text, value, click = self._read_activity(conversation, body)
        except BadRequest as exc:
            return problem(400, "BadArgument", exc.message)
        if kind == "typing":
            return web.json_response({"id": conversation.new_id()})
        echo_id = conversation.append(self._echo(conversation, body, text, value))
        try:
            if click is not None:
                self._apply(
                    conversation, click, await self.bridge.click(conversation, echo_id, click)
                )
            else:
                await self.bridge.message(conversation, echo_id, text=text, value=value)
        except Exception:
            return self._bot_failed("handling a message")
        return web.json_response({"id": echo_id})

    async def upload(self, request: web.Request) -> web.Response:
        return problem(400, "BadArgument", "safecontact does not take files in this chat.")

    def _read_activity(
        self, conversation: Conversation, body: Any
    ) -> tuple[str, str, Any, Click | None]:
        """(type, text, value, click) of what the browser posted; BadRequest otherwise."""
        if not isinstance(body, dict):
            raise BadRequest("The body is not an activity.")
        kind = body.get("type")
        if kind == "typing":
            return "typing", "", None, None
        if kind != "message":
            raise BadRequest("Only messages can be sent to safecontact here.")
        if body.get("attachments"):
            raise BadRequest("safecontact does not take files in this chat.")
        text = body.get("text") or ""
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            raise BadRequest(f"Keep a message to {MAX_TEXT} characters of text.")
        value = body.get("value")
        click = click_from(value)
        if click is not None and not conversation.has(click.card_id):
            raise BadRequest("That card is no longer in this chat; reload the page.")
        return "message", text, value, click

    def _echo(
        self, conversation: Conversation, body: dict[str, Any], text: str, value: Any
    ) -> dict[str, Any]:
        """What the person sent, as Direct Line echoes it (Web Chat matches it up by
        clientActivityID and marks it sent; a postBack stays hidden)."""
        chatter = conversation.chatter
        channel_data = body.get("channelData") if isinstance(body.get("channelData"), dict) else {}
        kept = {
            k: v
            for k, v in channel_data.items()
            if k in ("clientActivityID", "postBack") and isinstance(v, str | bool)
        }
        echo: dict[str, Any] = {
            "type": "message",
            "from": {"id": chatter.user_id, "name": chatter.name, "role": "user"},
            "channelData": kept,
        }
        if text:
            echo["text"] = text
        if value is not None:
            echo["value"] = value
        return echo

    def _apply(
        self, conversation: Conversation, click: Click, answer: InvokeResponse | None
    ) -> None:
        """The Universal Actions answer, shown as Teams shows it."""
        body = answer.body if answer is not None else None
        if not isinstance(body, dict):
            return
        kind, value = body.get("type"), body.get("value")
        if kind == CARD and isinstance(value, dict):
            card = {
                "type": "message",
                "summary": value.get("fallbackText"),
                "attachments": [{"contentType": CARD, "content": value}],
            }
            conversation.replace(click.card_id, for_browser(card, click.card_id))
            return
        if kind == ERROR and isinstance(value, dict):
            value = value.get("message")
        if kind in (MESSAGE, ERROR) and isinstance(value, str) and value:
            # Teams shows this for a moment beside the card; here it is a short message.
            conversation.append(
                {
                    "type": "message",
                    "from": {"id": BOT_ID, "name": BOT_NAME, "role": "bot"},
                    "text": value,
                    "textFormat": "plain",
                    "replyToId": click.card_id,
                }
            )

    def _bot_failed(self, doing: str) -> web.Response:
        ref = uuid.uuid4().hex[:8]
        log.exception("the web chat's bot turn failed %s (ref %s)", doing, ref)
        return problem(502, "BotError", f"The bot could not answer (reference {ref}).")

    def routes(self) -> list[tuple[str, str, Any]]:
        conv = PREFIX + "/conversations/{conversation_id}"
        return [
            ("POST", PREFIX + "/tokens/generate", self.generate),
            ("POST", PREFIX + "/tokens/refresh", self.refresh),
            ("POST", PREFIX + "/conversations", self.start),
            ("GET", conv, self.reconnect),
            ("GET", conv + "/activities", self.poll),
            ("POST", conv + "/activities", self.post),
            ("POST", conv + "/upload", self.upload),
        ]
