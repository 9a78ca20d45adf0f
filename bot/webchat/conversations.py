"""Each person's chat with the bot, as Direct Line hands it to Web Chat: a numbered log.

One conversation per person in the directory (their personal chat, as in Teams), with a
stable id derived from their Teams id, so a conversation reference the bot stored before
a restart still names the same chat. Everything is appended to a log; the Direct Line
watermark is a position in it. An update to an activity (the bot editing a card in
place) appends a new version under the same id and timestamp, and Web Chat replaces the
card where it stands.

The logs live in memory: the web chat is for trying the bot out, and the case file,
the audit trail and the outbox are all in the database. After a restart the chats start
empty; nothing the bot keeps is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.settings import StaffEntry

PREFIX = "webchat-"
BOT_ID = "webchat-bot"
BOT_NAME = "safecontact"
CHANNEL = "webchat"
TOKEN_SECONDS = 3600
# Enough for a long training session; older activities are dropped from the front.
MAX_LOG = 5000


_STARTED = uuid.uuid4().hex[:8]


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _digest(teams_user_id: str) -> str:
    return hashlib.sha256(teams_user_id.encode()).hexdigest()[:20]


def is_webchat_conversation(conversation_id: Any) -> bool:
    return isinstance(conversation_id, str) and conversation_id.startswith(PREFIX)


@dataclass(frozen=True)
class Chatter:
    """Someone who can use the web chat: a directory entry with a Teams id."""

    teams_user_id: str
    name: str
    email: str
    roles: tuple[str, ...]
    manager: str | None

    @property
    def user_id(self) -> str:
        """Their Direct Line user id, and the bot's `from.id` for them (like Teams' 29:...)."""
        return f"dl-{_digest(self.teams_user_id)}"

    @property
    def conversation_id(self) -> str:
        return f"{PREFIX}{_digest(self.teams_user_id)}"

    @classmethod
    def from_entry(cls, entry: StaffEntry) -> Chatter:
        assert entry.teams_user_id is not None
        return cls(entry.teams_user_id, entry.name, entry.email, tuple(entry.roles), entry.manager)


@dataclass
class Conversation:
    id: str
    chatter: Chatter
    _log: list[dict[str, Any]] = field(default_factory=list)
    _dropped: int = 0
    _numbers: Any = field(default_factory=lambda: itertools.count(1))
    _timestamps: dict[str, str] = field(default_factory=dict)
    bot_messages: int = 0
    # The bot has been added to this chat (and said hello) since the server started.
    greeted: bool = False
    # Held while the chat is being installed, so the page and the outbox don't both do it.
    installing: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def watermark(self) -> int:
        return self._dropped + len(self._log)

    def has(self, activity_id: str) -> bool:
        return activity_id in self._timestamps

    def new_id(self) -> str:
        # Unique across restarts too: the bot takes an activity id it has seen in this
        # conversation for a copy of that request (bot/interactions_once.py).
        return f"{self.id}|{_STARTED}{next(self._numbers):07d}"

    def append(self, activity: dict[str, Any], *, activity_id: str | None = None) -> str:
        """Add an activity (from the user or the bot); returns its id."""
        activity_id = activity_id or self.new_id()
        stamp = now_iso()
        self._timestamps[activity_id] = stamp
        self._push({**activity, "id": activity_id, "timestamp": stamp})
        if activity.get("from", {}).get("role") == "bot" and activity.get("type") == "message":
            self.bot_messages += 1
        return activity_id

    def replace(self, activity_id: str, activity: dict[str, Any]) -> None:
        """A new version of an activity, shown where the old one was."""
        stamp = self._timestamps.get(activity_id)
        if stamp is None:
            self.append(activity, activity_id=activity_id)
            return
        self._push({**activity, "id": activity_id, "timestamp": stamp})

    def _push(self, activity: dict[str, Any]) -> None:
        activity.update(
            channelId=CHANNEL,
            conversation={"id": self.id},
        )
        self._log.append(activity)
        if len(self._log) > MAX_LOG:
            drop = len(self._log) - MAX_LOG
            del self._log[:drop]
            self._dropped += drop

    def since(self, watermark: int) -> tuple[list[dict[str, Any]], int]:
        """Activities after `watermark` (the latest version of each), and the new watermark."""
        start = max(0, watermark - self._dropped)
        latest: dict[str, dict[str, Any]] = {}
        for activity in self._log[start:]:
            latest.pop(activity["id"], None)
            latest[activity["id"]] = activity
        return list(latest.values()), self.watermark


@dataclass
class Grant:
    conversation_id: str
    expires: float


class ChatStore:
    """Every web chat conversation of this server, and the Direct Line tokens for them."""

    def __init__(self, directory: list[StaffEntry]) -> None:
        people = [Chatter.from_entry(e) for e in directory if e.teams_user_id]
        self.people: dict[str, Chatter] = {p.teams_user_id: p for p in people}
        self._by_conversation = {p.conversation_id: p for p in people}
        self._by_user = {p.user_id: p for p in people}
        self._conversations: dict[str, Conversation] = {}
        self._grants: dict[str, Grant] = {}
        # Names this server run's chats. Message counts start again at 0 after a restart,
        # so the page forgets what it had seen when this changes (its "N new" badges).
        self.run_id = secrets.token_urlsafe(9)
        # http://127.0.0.1:<port>, once known: where the bot's connector calls come back to.
        self.base_url: str | None = None
        # Made at each start: the page hands it to the browser (a cookie), and the bot's
        # own connector calls carry it in their serviceUrl (guard.py says why).
        self.secret = secrets.token_urlsafe(32)

    @property
    def connector_url(self) -> str | None:
        return f"{self.base_url}/webchat/connector/{self.secret}" if self.base_url else None

    def conversation(self, conversation_id: str) -> Conversation | None:
        """The chat with this id, if it belongs to someone in the directory."""
        chatter = self._by_conversation.get(conversation_id)
        if chatter is None:
            return None
        found = self._conversations.get(conversation_id)
        if found is None:
            found = self._conversations[conversation_id] = Conversation(conversation_id, chatter)
        return found

    def conversation_of(self, chatter: Chatter) -> Conversation:
        found = self.conversation(chatter.conversation_id)
        assert found is not None
        return found

    def chatter_by_user_id(self, user_id: str) -> Chatter | None:
        return self._by_user.get(user_id)

    def bot_messages(self, chatter: Chatter) -> int:
        found = self._conversations.get(chatter.conversation_id)
        return found.bot_messages if found else 0

    # -- tokens ---------------------------------------------------------------------
    def grant(self, conversation_id: str) -> str:
        """A new token for one conversation (Direct Line tokens are per conversation)."""
        self._expire()
        token = secrets.token_urlsafe(32)
        self._grants[token] = Grant(conversation_id, time.monotonic() + TOKEN_SECONDS)
        return token

    def granted(self, token: str) -> str | None:
        """The conversation a live token is for; None for an unknown or expired one."""
        grant = self._grants.get(token)
        if grant is None or grant.expires < time.monotonic():
            return None
        return grant.conversation_id

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, g in self._grants.items() if g.expires < now]:
            del self._grants[token]
