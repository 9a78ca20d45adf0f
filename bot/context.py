"""Per-request plumbing every transport shares: the dialog context, and what a user reads
when something fails (the same words on Slack, Teams and the web chat)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from bot.runtime import Runtime
from dialogs.context import Ctx
from dialogs.errors import DomainError
from storage.db import DatabaseUnavailable

log = logging.getLogger("bot")

TRY_AGAIN = "I couldn't reach the database just now, so nothing was saved. Please try again."


def ctx_for(runtime: Runtime, now: datetime | None = None) -> Ctx:
    settings = runtime.settings
    return Ctx(
        db=runtime.db,
        organisation=settings.organisation,
        policy=settings.policy,
        now=now or runtime.clock(),
        wake_outbox=runtime.outbox_wakeup.set,
    )


def message_for(exc: BaseException) -> str:
    """What the user reads for any failure; unexpected ones are logged with a reference."""
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, DatabaseUnavailable):
        return TRY_AGAIN
    ref = uuid.uuid4().hex[:8]
    log.error("unexpected error (ref %s)", ref, exc_info=exc)
    return (
        f"Sorry, something went wrong on our side (reference {ref}). Nothing was lost; "
        "please try again, and tell your administrator if it keeps happening."
    )
