"""Interactions processed at most once: the table behind bot/interactions_once.py.

A transport names the request it is handling (`PENDING`, a context variable); the first
change that request writes also writes its key, in the same transaction
(dialogs/change.py calls `claim`). So the change and the record that it was made commit
together or not at all: a request refused, or one whose transaction failed, leaves no
key and may be sent again; one that changed something can never change it twice, even
when two copies arrive together (the second finds the key, or waits on its lock and
then finds it). Nothing here knows a platform's payloads.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from storage.db import AsyncSession
from storage.models import SeenInteraction

# How long a key is kept: far beyond Slack's five minutes and a Bot Framework token's
# hour, the longest a copy of a request can still be accepted.
KEEP = timedelta(days=2)


class Repeated(Exception):
    """This request has already changed something; it must not do so again."""


@dataclass
class Pending:
    """The request being handled: its key, and whether a change of it has committed."""

    key: str
    platform: str
    kind: str
    claimed: bool = False


PENDING: ContextVar[Pending | None] = ContextVar("pending_interaction", default=None)


async def first(session: AsyncSession, key: str) -> SeenInteraction | None:
    """The record of an earlier copy of this request, if one changed something."""
    return await session.get(SeenInteraction, key)


async def claim(session: AsyncSession, pending: Pending, *, now: datetime) -> None:
    """Write the key in the caller's transaction; Repeated when it is there already."""
    found = (
        await session.execute(select(SeenInteraction.key).where(SeenInteraction.key == pending.key))
    ).first()
    if found is not None:
        raise Repeated(pending.key)
    session.add(
        SeenInteraction(
            key=pending.key,
            platform=pending.platform,
            kind=pending.kind,
            seen_at=now,
            expires_at=now + KEEP,
            answer=None,
        )
    )
    try:
        await session.flush()
    except IntegrityError:  # another process wrote it first (replicas, PostgreSQL)
        raise Repeated(pending.key) from None


async def keep_answer(
    session: AsyncSession, key: str, answer: dict[str, Any], *, now: datetime
) -> None:
    """Store the first answer for repeats, and drop the keys that have expired."""
    await session.execute(
        update(SeenInteraction).where(SeenInteraction.key == key).values(answer=answer)
    )
    await session.execute(delete(SeenInteraction).where(SeenInteraction.expires_at < now))
