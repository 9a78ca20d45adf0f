"""Outbox delivery while the web chat is on: each person's messages go where they chat.

Once the web chat is listening (`serve` announced its address, or someone used it),
everyone in the directory with a Teams id can be reached: the bot is added to their
personal web chat (the conversationUpdate an organisation-wide Teams install sends, so
the bot stores their conversation reference and says hello) the first time the outbox
has something for them, so the manager's card is waiting when the trainer switches to
the manager. Delivery itself is
TeamsSender's, through continue_conversation on the stored reference, whose serviceUrl is
this server. Until then it delivers exactly as the Teams sender alone would.

With `--dev` and a real Teams registration, someone whose stored reference is a real
Teams chat keeps getting their messages in Teams; without one, such a message cannot be
delivered and the outbox reports it, as it does for anyone it cannot reach.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.delivery import Outgoing, RetryLater, Undeliverable
from bot.letter_links import LetterLinks
from bot.teams.sender import TeamsSender
from bot.webchat.bridge import BotBridge
from bot.webchat.conversations import CHANNEL, ChatStore, is_webchat_conversation
from storage.models import StaffMember

NOT_LISTENING = "the web chat has not started listening yet"


class WebChatSender:
    platform = "teams"

    def __init__(
        self,
        store: ChatStore,
        bridge: BotBridge,
        *,
        teams: TeamsSender | None = None,
        links: LetterLinks | None = None,
    ) -> None:
        self.store = store
        self.bridge = bridge
        # A letter's download link from the web chat points at this server as the browser
        # reaches it (http://127.0.0.1:<port>), not at the public address.
        local_links = None
        if links is not None:
            fallback = links.base_url
            local_links = dataclasses.replace(
                links, base_url=lambda: self.store.base_url or fallback()
            )
        self.local = TeamsSender(bridge.adapter, bridge.refs, app_id=None, links=local_links)
        self.teams = teams

    @property
    def active(self) -> bool:
        """Listening, and so able to deliver: `serve` announced its address, or someone
        has used the web chat. Until then everything is exactly as Teams alone would do."""
        return self.store.base_url is not None

    def can_reach(self, staff: StaffMember) -> bool:
        user = staff.teams_user_id
        if self.active and user and user in self.store.people:
            return True
        return self.teams is not None and self.teams.can_reach(staff)

    async def deliver(self, item: Outgoing) -> dict[str, Any] | None:
        if item.message.kind == "update":
            posted = (item.original_ref or {}).get("ref") or {}
            if not is_webchat_conversation(posted.get("conversation_id")):
                return await self._to_teams(item)
            return self._stored(await self.local.deliver(self._here(item, posted)))
        user = item.recipient.teams_user_id or ""
        chatter = self.store.people.get(user)
        if chatter is None or not self.active:
            return await self._to_teams(item)
        conversation = self.store.conversation_of(chatter)
        reference = await self.bridge.refs.lookup(user)
        if reference is not None and reference.channel_id != CHANNEL:
            return await self._to_teams(item)
        if reference is None:
            # Two messages for the same person in one delivery pass install once.
            await self.bridge.install(conversation)
        return self._stored(await self.local.deliver(item))

    def _stored(self, posted: dict[str, Any] | None) -> dict[str, Any] | None:
        """Where a message went, as the outbox keeps it: without this start's secret
        (an update is readdressed to the server as it runs then: `_here`)."""
        if posted is not None and self.store.secret in str(posted.get("service_url", "")):
            return {**posted, "service_url": f"{self.store.base_url}/webchat/connector"}
        return posted

    def _here(self, item: Outgoing, posted: dict[str, Any]) -> Outgoing:
        """The update, addressed to this server as it runs now."""
        if self.store.connector_url is None:
            raise RetryLater(NOT_LISTENING, 1)
        ref = {**posted, "service_url": self.store.connector_url}
        original = {**(item.original_ref or {}), "ref": ref}
        return dataclasses.replace(item, original_ref=original)

    async def _to_teams(self, item: Outgoing) -> dict[str, Any] | None:
        if self.teams is None:
            raise Undeliverable(
                "they use safecontact in Teams, and Teams is not configured on this server"
            )
        return await self.teams.deliver(item)
