"""Conversation references: kept in the database, with what this process has learnt of them.

The delivery loop asks a sender `can_reach(staff)` synchronously, but whether someone
has a stored reference is a database question. So this store answers from memory: yes
for anyone it has seen a reference for, no for anyone the database lately said has none,
and "try" otherwise. The sender then reads the reference from the database before every
send (it needs it anyway), and records what it found. The answer is therefore always
checked against the database, also when several replicas share it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference

from storage import teams_refs
from storage.db import Database

# How long "the database has no reference for them" is believed before asking again.
MISSING_TTL = 60.0


def _tenant(activity: Activity) -> str | None:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    value = tenant.get("id") or getattr(activity.conversation, "tenant_id", None)
    return value[:100] if isinstance(value, str) and value else None


def reference_of(activity: Activity) -> ConversationReference:
    """The reference to store: the conversation, without the message it came from."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    reference.locale = None
    return reference


class ReferenceStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._known: set[str] = set()
        self._missing: dict[str, float] = {}

    def may_reach(self, teams_user_id: str) -> bool:
        """False only when the database said lately that this user has no reference."""
        if teams_user_id in self._known:
            return True
        checked = self._missing.get(teams_user_id)
        return checked is None or time.monotonic() - checked > MISSING_TTL

    def _found(self, teams_user_id: str) -> None:
        self._known.add(teams_user_id)
        self._missing.pop(teams_user_id, None)

    def _lost(self, teams_user_id: str) -> None:
        self._known.discard(teams_user_id)
        self._missing[teams_user_id] = time.monotonic()

    async def remember(self, teams_user_id: str, activity: Activity) -> None:
        """Store the user's reference from an install or a message; write only on change."""
        reference = reference_of(activity)
        fields: dict[str, Any] = {
            "conversation_id": reference.conversation.id,
            "service_url": reference.service_url,
            "tenant_id": _tenant(activity),
            "reference": json.dumps(reference.serialize(), sort_keys=True),
        }
        async with self.db.read() as session:
            row = await teams_refs.get(session, teams_user_id=teams_user_id)
            unchanged = teams_refs.same(row, **fields)
        if not unchanged:
            async with self.db.write() as session:
                await teams_refs.save(session, teams_user_id=teams_user_id, **fields)
        self._found(teams_user_id)

    async def forget(self, teams_user_id: str) -> None:
        async with self.db.write() as session:
            await teams_refs.forget(session, teams_user_id=teams_user_id)
        self._lost(teams_user_id)

    async def lookup(self, teams_user_id: str) -> ConversationReference | None:
        """The stored reference, read fresh from the database."""
        async with self.db.read() as session:
            row = await teams_refs.get(session, teams_user_id=teams_user_id)
            stored = (row.reference, row.service_url) if row is not None else None
        if stored is None:
            self._lost(teams_user_id)
            return None
        self._found(teams_user_id)
        reference = ConversationReference.deserialize(json.loads(stored[0]))
        reference.service_url = stored[1]
        return reference
