"""The audit trail for bot/: the database with its key, the start-up check, the anchors,
and `audit verify` for the commands that run it after something else (restore, doctor).

One call site, so when the audit chain's verification changes these commands follow it.
The schema must be at the head (callers see to it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from bot.settings import Settings
from storage import audit
from storage.audit_chain import Finding
from storage.audit_files import AuditFiles, resolve
from storage.db import Database

log = logging.getLogger(__name__)

# `serve` (and every command that writes) exits with this when the key and the chain
# disagree: nothing is written under the wrong key.
EXIT_KEY_MISMATCH = 5


class AuditKeyMismatch(Exception):
    """The key and the chain disagree; str() is the operator's one line."""


def files(settings: Settings) -> AuditFiles:
    return resolve(
        settings.database_url,
        key_file=settings.audit.key_file,
        anchor_file=settings.audit.anchor_file,
    )


def database(settings: Settings) -> Database:
    """The configured database, with the audit trail's key and anchors."""
    return Database(settings.database_url, audit=files(settings))


async def verify(db: Database) -> audit.Verdict:
    async with db.read() as session:
        return await audit.verify(session)


async def refuse_if_key_disagrees(db: Database) -> None:
    """Before anything is written: raise AuditKeyMismatch if the key is not the chain's."""
    found: Finding | None = await audit.check_key(db)
    if found is not None:
        raise AuditKeyMismatch(
            f"refusing to start: {found.text}. Restore the right key file (from its "
            "backup), or run `safecontact audit verify` to see what was changed"
        )


class Anchoring:
    """Appends the chain's head to the anchor file when it has moved: at start, then at
    most once every `[audit] anchor_every_seconds` (the scheduler asks each pass), and
    at stop. The file is written off the event loop."""

    def __init__(self, db: Database, *, every: float) -> None:
        self.db = db
        self.every = every
        self.last: tuple[int, str] | None = None
        self._at: float | None = None

    async def run(self, now: datetime, *, force: bool = False) -> bool:
        """True if a line was appended."""
        tick = time.monotonic()
        if not force and self._at is not None and tick - self._at < self.every:
            return False
        self._at = tick
        head = await audit.head_now(self.db)
        if head == self.last or head[0] == 0:
            return False
        await asyncio.to_thread(self.db.audit.append_anchor, seq=head[0], digest=head[1], at=now)
        self.last = head
        return True
