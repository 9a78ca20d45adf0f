"""The Bot Connector endpoints the bot calls, under the serviceUrl web chat activities carry.

The same REST calls botbuilder makes to Teams: a reply (POST .../activities/{id}), a
proactive message (POST .../activities, through continue_conversation on a stored
reference), an update in place (PUT .../activities/{id}) and a new personal conversation
(POST /v3/conversations). Whatever the bot sends lands in the log of the conversation
it names, translated for Web Chat (cards.py), where the person polling it sees it.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from aiohttp import web

from bot.webchat.cards import attachments_for_webchat
from bot.webchat.conversations import BOT_ID, BOT_NAME, ChatStore, Conversation

log = logging.getLogger(__name__)

PREFIX = "/webchat/connector"
# What a bot's activity may carry into the browser; everything else stays behind.
_SHOWN = (
    "type",
    "text",
    "textFormat",
    "summary",
    "speak",
    "inputHint",
    "attachmentLayout",
    "suggestedActions",
    "replyToId",
    "name",
    "value",
    "locale",
)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


def for_browser(body: dict[str, Any], card_id: str) -> dict[str, Any]:
    """A bot's activity as Web Chat should get it: from the bot, cards translated."""
    shown = {k: body[k] for k in _SHOWN if k in body}
    shown["from"] = {"id": BOT_ID, "name": BOT_NAME, "role": "bot"}
    if body.get("attachments"):
        shown["attachments"] = attachments_for_webchat(body, card_id)
    return shown


class Connector:
    def __init__(self, store: ChatStore) -> None:
        self.store = store

    async def _read(
        self, request: web.Request
    ) -> tuple[Conversation | None, dict[str, Any] | None, web.Response | None]:
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return None, None, _error(400, "BadArgument", "The body is not JSON.")
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            return None, None, _error(400, "BadArgument", "The body is not an activity.")
        conversation = self.store.conversation(request.match_info.get("conversation_id", ""))
        if conversation is None:
            return None, None, _error(404, "ConversationNotFound", "No such conversation.")
        return conversation, body, None

    async def send(self, request: web.Request) -> web.Response:
        """POST /v3/conversations/{id}/activities (proactive) and .../{activityId} (reply)."""
        conversation, body, problem = await self._read(request)
        if problem is not None:
            return problem
        assert conversation is not None and body is not None
        activity_id = conversation.new_id()
        conversation.append(for_browser(body, activity_id), activity_id=activity_id)
        return web.json_response({"id": activity_id}, status=201)

    async def update(self, request: web.Request) -> web.Response:
        """PUT /v3/conversations/{id}/activities/{activityId}: edit a card in place.

        A card posted before the server restarted is no longer in the (in-memory) log;
        its update is shown as a new message rather than refused, so the outbox does not
        report a failure for what is only a trial chat's lost history.
        """
        conversation, body, problem = await self._read(request)
        if problem is not None:
            return problem
        assert conversation is not None and body is not None
        activity_id = request.match_info["activity_id"]
        conversation.replace(activity_id, for_browser(body, activity_id))
        return web.json_response({"id": activity_id})

    async def create(self, request: web.Request) -> web.Response:
        """POST /v3/conversations: a personal chat with one member of the directory."""
        try:
            body = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            return _error(400, "BadArgument", "The body is not JSON.")
        members = body.get("members") if isinstance(body, dict) else None
        member = members[0] if isinstance(members, list) and members else None
        member_id = member.get("id") if isinstance(member, dict) else None
        chatter = self.store.chatter_by_user_id(member_id) if isinstance(member_id, str) else None
        if chatter is None:
            aad = member.get("aadObjectId") if isinstance(member, dict) else None
            chatter = self.store.people.get(aad) if isinstance(aad, str) else None
        if chatter is None or (isinstance(body, dict) and body.get("isGroup")):
            return _error(400, "BadArgument", "Only a personal chat with one member works here.")
        conversation = self.store.conversation_of(chatter)
        answer: dict[str, Any] = {"id": conversation.id}
        first = body.get("activity")
        if isinstance(first, dict) and isinstance(first.get("type"), str):
            activity_id = conversation.new_id()
            conversation.append(for_browser(first, activity_id), activity_id=activity_id)
            answer["activityId"] = activity_id
        return web.json_response(answer, status=201)

    def routes(self) -> list[tuple[str, str, Any]]:
        """Under the start's secret: only the bot (its serviceUrl carries it) may call."""
        base = PREFIX + "/{secret}/v3/conversations"
        conv = base + "/{conversation_id}/activities"
        return [
            ("POST", base, self._keyed(self.create)),
            ("POST", conv, self._keyed(self.send)),
            ("POST", conv + "/{activity_id}", self._keyed(self.send)),
            ("PUT", conv + "/{activity_id}", self._keyed(self.update)),
        ]

    def _keyed(self, handler: Any) -> Any:
        async def keyed(request: web.Request) -> web.StreamResponse:
            given = request.match_info.get("secret", "")
            if not hmac.compare_digest(given.encode(), self.store.secret.encode()):
                log.warning("refused a connector call without this start's secret")
                return _error(403, "Forbidden", "Only safecontact itself may call this.")
            return await handler(request)

        return keyed
