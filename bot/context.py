"""Per-request plumbing every transport shares: the dialog context, who is asking, and
what a user reads when something fails (the same words on Slack, Teams and the web chat)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from bot.runtime import Runtime
from dialogs import identity
from dialogs.context import Ctx
from dialogs.errors import BadRequest, DomainError
from dialogs.interactions import Turn
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
        wake_outbox=runtime.wake_outbox,
        mailer=runtime.mailer,
    )


class Turns:
    """Who is asking, resolved once per request and only when a listener needs it.

    Each transport's middleware puts one on the request; a listener awaits it inside its
    own error handling, so "you're not in the directory" is answered on the surface the
    person used.
    """

    def __init__(self, runtime: Runtime, platform: str, user_id: object) -> None:
        self.runtime = runtime
        self.platform = platform
        self.user_id = user_id
        self._turn: Turn | None = None

    async def __call__(self) -> Turn:
        if self._turn is None:
            if not isinstance(self.user_id, str) or not self.user_id:
                raise BadRequest("This request does not say who sent it.")
            ctx = ctx_for(self.runtime)
            actor = await identity.resolve(ctx, platform=self.platform, user_id=self.user_id)
            self._turn = Turn(ctx, actor)
        return self._turn


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
