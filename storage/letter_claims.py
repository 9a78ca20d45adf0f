"""Who is emailing a letter right now: one claim per letter, so a double click (or two
people at once, on two replicas) sends it once.

The claim is a row in seen_interactions (the table that already makes every request run
at most once, storage/seen.py) under a key of its own per letter, written and committed
before the email goes: its primary key is the lock, on SQLite and PostgreSQL alike. It
is released when the email fails (so it can be tried again) and lapses after `hold`,
should the server stop mid-send; once the email is accepted the letter's own sending
record refuses any further send.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from storage.db import AsyncSession
from storage.models import SeenInteraction

KIND = "letter_email"


def _key(letter_id: int) -> str:
    return hashlib.sha256(f"letter-email\x1f{letter_id}".encode()).hexdigest()


async def claim(session: AsyncSession, letter_id: int, *, now: datetime, hold: timedelta) -> bool:
    """Claim the letter for emailing; False when someone holds a claim that has not lapsed."""
    key = _key(letter_id)
    held = (
        await session.execute(select(SeenInteraction.expires_at).where(SeenInteraction.key == key))
    ).scalar()
    if held is not None:
        if held > now:
            return False
        await session.execute(delete(SeenInteraction).where(SeenInteraction.key == key))
    session.add(
        SeenInteraction(
            key=key, platform="mail", kind=KIND, seen_at=now, expires_at=now + hold, answer=None
        )
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:  # another replica claimed it between our read and our write
        return False
    return True


async def release(session: AsyncSession, letter_id: int) -> None:
    """Give the letter back (its email failed): it may be emailed again."""
    await session.execute(delete(SeenInteraction).where(SeenInteraction.key == _key(letter_id)))
