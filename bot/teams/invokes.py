"""What a card can invoke, in the shapes the action tables share: a form or a button.

A Teams card keeps no state, so a submitted form is rebuilt on the server from the
context it carried (`spec`, which refuses in the same words as submitting it would),
read back against that, and handed to dialogs/ (`submit`). The answer is a message,
or the next form when a flow continues (a review that alters the strategy).

A button either acts and says so in a short message (the card itself is brought up to
date in place by the outbox), or opens a form in a new message below its card, so the
card stays in view. Either way the ids it carries are only a claim: dialogs/ checks
them against the database.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from bot.teams.context import card_activity, message_response
from bot.teams.forms import render_form
from bot.teams.payloads import int_value
from cards.forms import FormSpec
from dialogs.context import Ctx
from storage.models import StaffMember

# What a submission leads to: a message for the user, or the next form to fill in.
Answer = str | FormSpec
SpecFor = Callable[[Ctx, StaffMember, dict[str, Any]], Awaitable[FormSpec]]
Submit = Callable[[Ctx, StaffMember, dict[str, Any], dict[str, Any]], Awaitable[Answer]]


@dataclass(frozen=True)
class Form:
    """A form by its verb: the title its answer is shown under, its spec and its submit."""

    title: str
    spec: SpecFor
    submit: Submit


Button = Callable[[Ctx, TurnContext, StaffMember, dict[str, Any]], Awaitable[InvokeResponse]]
# Builds the form a button opens from the one id the button carries.
FormFor = Callable[[Ctx, StaffMember, int], Awaitable[FormSpec]]


def opens_form(key: str, build: FormFor) -> Button:
    """A button whose data names one record by `key`, and which opens `build`'s form."""

    async def open_form(
        ctx: Ctx, turn: TurnContext, actor: StaffMember, data: dict[str, Any]
    ) -> InvokeResponse:
        spec = await build(ctx, actor, int_value(data.get(key)))
        # A new message, so the card the button is on stays in view above the form.
        await turn.send_activity(card_activity(render_form(spec)))
        return message_response(f"{spec.title}: the form is in our chat, below this card.")

    return open_form
