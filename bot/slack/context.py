"""Per-request plumbing shared by the Slack listeners: who is asking, and how to answer.

One place turns typed refusals into something the user reads on the surface they used,
and unexpected errors into a reference the admin can find in the log.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from bot.runtime import Runtime
from cards.render import render
from dialogs import identity
from dialogs.context import Ctx
from dialogs.errors import DomainError
from storage.db import DatabaseUnavailable
from storage.models import StaffMember

log = logging.getLogger("bot.slack")

TRY_AGAIN = "I couldn't reach the database just now, so nothing was saved. Please try again."


def ctx_for(runtime: Runtime) -> Ctx:
    settings = runtime.settings
    return Ctx(
        db=runtime.db,
        organisation=settings.organisation,
        policy=settings.policy,
        now=runtime.clock(),
        wake_outbox=runtime.outbox_wakeup.set,
    )


async def actor_for(ctx: Ctx, user_id: Any) -> StaffMember:
    if not isinstance(user_id, str) or not user_id:
        from dialogs.errors import BadRequest

        raise BadRequest("This request does not say who sent it.")
    return await identity.resolve(ctx, platform="slack", user_id=user_id)


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


def notice(text: str) -> dict[str, Any]:
    return render("slack", "notice", {"text": text})


def notice_view(title: str, text: str) -> dict[str, Any]:
    """A modal that replaces a form to say why it cannot go on."""
    blocks = notice(text)["blocks"]
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": blocks,
    }
