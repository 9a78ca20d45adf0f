"""`audit verify` for the commands that run it after something else (restore, doctor).

One call site, so when the audit chain's verification changes (a key, an anchor) these
commands follow it. The schema must be at the head (callers see to it).
"""

from __future__ import annotations

from storage import audit
from storage.db import Database


async def verify(db: Database) -> audit.Verdict:
    async with db.read() as session:
        return await audit.verify(session)
