"""Into the bot: web chat activities through botbuilder, as Teams' would arrive.

The adapter is a CloudAdapter with ConfigurationBotFrameworkAuthentication built by the
same function as the one behind POST /api/messages, and the bot is the same
SafecontactBot class. It never has Microsoft credentials: its connector calls go to this
server (the activities' serviceUrl), which needs no token, just as the Bot Framework
Emulator's don't. That also keeps a `--dev` server with a real Teams registration from
asking Microsoft for a token to talk to itself.

The activity is built here from what the person chose and typed, never from what the
browser says about who it is, and checked by the same `activity_from` as /api/messages.
"""

from __future__ import annotations

import copy
from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.schema import Activity, ConversationReference

from bot.runtime import Runtime
from bot.teams.app import build_adapter
from bot.teams.handler import SafecontactBot
from bot.teams.payloads import activity_from
from bot.teams.refs import ReferenceStore
from bot.webchat.cards import Click, invoke_value
from bot.webchat.conversations import (
    BOT_ID,
    BOT_NAME,
    CHANNEL,
    ChatStore,
    Chatter,
    Conversation,
    now_iso,
)
from storage.db import Database


class WebChatReferences(ReferenceStore):
    """Conversation references, with a web chat one pointed at this server as it runs now.

    The stored serviceUrl names the port the server had when the person last used the
    chat; after a restart on another port it would lead nowhere, so it is replaced by the
    current one whenever a reference is read.
    """

    def __init__(self, db: Database, store: ChatStore) -> None:
        super().__init__(db)
        self.store = store

    async def remember(self, teams_user_id: str, activity: Activity) -> None:
        """Stored without this start's secret (conversations.ChatStore.secret): it is
        added back when the reference is read, and stays out of the database."""
        if activity.channel_id == CHANNEL and self.store.base_url:
            activity = copy.copy(activity)
            activity.service_url = f"{self.store.base_url}/webchat/connector"
        await super().remember(teams_user_id, activity)

    async def lookup(self, teams_user_id: str) -> ConversationReference | None:
        reference = await super().lookup(teams_user_id)
        if reference is not None and reference.channel_id == CHANNEL and self.store.base_url:
            reference.service_url = self.store.connector_url
        return reference


class BotBridge:
    def __init__(self, runtime: Runtime, store: ChatStore) -> None:
        anonymous = runtime.settings.model_copy(
            update={
                "microsoft_app_id": None,
                "microsoft_app_password": None,
                "microsoft_app_tenant_id": None,
            }
        )
        self.adapter = build_adapter(anonymous)
        self.refs = WebChatReferences(runtime.db, store)
        self.bot = SafecontactBot(runtime, self.refs)
        self.store = store

    def _activity(self, chatter: Chatter, kind: str, activity_id: str, **fields: Any) -> Any:
        body: dict[str, Any] = {
            "type": kind,
            "id": activity_id,
            "timestamp": now_iso(),
            "channelId": CHANNEL,
            "serviceUrl": self.store.connector_url,
            "from": {
                "id": chatter.user_id,
                "name": chatter.name,
                "aadObjectId": chatter.teams_user_id,
                "role": "user",
            },
            "recipient": {"id": BOT_ID, "name": BOT_NAME, "role": "bot"},
            "conversation": {"id": chatter.conversation_id, "conversationType": "personal"},
            "locale": "en-GB",
            **fields,
        }
        # The same checks as POST /api/messages makes of what Teams sends.
        return activity_from(body)

    async def _run(self, activity: Any) -> InvokeResponse | None:
        return await self.adapter.process_activity("", activity, self.bot.on_turn)

    async def install(self, conversation: Conversation) -> bool:
        """What Teams sends when the app is added to someone's personal scope; True if
        this was the first time since the server started.

        The first time, a conversationUpdate adding the bot: the bot stores the
        conversation reference and says hello with the help card. Later, an
        installationUpdate, which only stores the reference again (pointing it back at
        this chat if it had moved, say to a real Teams chat under --dev).
        """
        chatter = conversation.chatter
        async with conversation.installing:
            first = not conversation.greeted
            if first:
                bot = {"id": BOT_ID, "name": BOT_NAME}
                activity = self._activity(
                    chatter, "conversationUpdate", conversation.new_id(), membersAdded=[bot]
                )
            else:
                activity = self._activity(
                    chatter, "installationUpdate", conversation.new_id(), action="add"
                )
            await self._run(activity)
            conversation.greeted = True
        return first

    async def message(
        self, conversation: Conversation, activity_id: str, *, text: str, value: Any = None
    ) -> None:
        fields: dict[str, Any] = {"text": text, "textFormat": "plain"}
        if value is not None:
            fields["value"] = value
        await self._run(self._activity(conversation.chatter, "message", activity_id, **fields))

    async def click(
        self, conversation: Conversation, activity_id: str, click: Click
    ) -> InvokeResponse | None:
        """The adaptiveCard/action invoke Teams sends for an Action.Execute click."""
        activity = self._activity(
            conversation.chatter,
            "invoke",
            activity_id,
            name="adaptiveCard/action",
            value=invoke_value(click),
            replyToId=click.card_id,
        )
        return await self._run(activity)
