"""Buttons that open a form: one listener for every such button, however many flows add them.

Each flow supplies a table from action id to a builder taking the button's numeric value;
the listener acks, checks who clicked, builds the form (rules and all, in dialogs/) and
opens it as a modal, or says why not.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.context import ctx_for, message_for
from bot.runtime import Runtime
from bot.slack import payloads
from bot.slack.context import actor_for, notice, notice_view
from cards.forms import FormSpec
from cards.render import render
from dialogs.context import Ctx
from storage.models import StaffMember

FormBuilder = Callable[[Ctx, StaffMember, int], Awaitable[FormSpec]]


def form_view(spec: FormSpec) -> dict[str, Any]:
    return render("slack", "form", spec.model_dump(mode="json"))


def register(app: AsyncApp, runtime: Runtime, table: Mapping[str, FormBuilder]) -> None:
    async def open_form(ack: Any, body: dict[str, Any], client: Any, respond: Any) -> None:
        await ack()
        actions = body.get("actions")
        action = actions[0] if isinstance(actions, list) and actions else {}
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            value = payloads.int_value(action.get("value"))
            spec = await table[action.get("action_id")](ctx, actor, value)
            await client.views_open(trigger_id=body["trigger_id"], view=form_view(spec))
        except Exception as exc:
            if not body.get("response_url"):
                # A button on the App Home: no message to answer under, so say it in a modal.
                await client.views_open(
                    trigger_id=body["trigger_id"],
                    view=notice_view("safecontact", message_for(exc)),
                )
                return
            await respond(
                response_type="ephemeral", replace_original=False, **notice(message_for(exc))
            )

    for action_id in table:
        app.action(action_id)(open_form)
