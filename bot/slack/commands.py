"""Slash commands: /incident, /case and /checkin. Each acks first, then does its work.

/strategy and /breach are registered with the flows they open (strategy_handlers,
monitoring_handlers); COMMANDS lists every one, for the manifest test.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.context import ctx_for, message_for
from bot.runtime import Runtime
from bot.slack.context import actor_for, notice
from cards.render import render
from dialogs import case_lookup, incident, welfare

COMMANDS = ("/incident", "/case", "/checkin", "/strategy", "/breach")


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.command("/incident")
    async def open_incident(ack: Any, body: dict[str, Any], client: Any, respond: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            await actor_for(ctx, body.get("user_id"))
            view = render("slack", "form", incident.form(ctx).model_dump(mode="json"))
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as exc:
            await respond(response_type="ephemeral", **notice(message_for(exc)))

    @app.command("/case")
    async def case(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, body.get("user_id"))
            result = await case_lookup.lookup(ctx, query=str(body.get("text") or ""), actor=actor)
            await respond(response_type="ephemeral", **render("slack", "case_summary", result))
        except Exception as exc:
            await respond(response_type="ephemeral", **notice(message_for(exc)))

    @app.command("/checkin")
    async def checkin(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, body.get("user_id"))
            model = await welfare.start(ctx, actor=actor)
            await respond(response_type="ephemeral", **render("slack", "welfare_checkin", model))
        except Exception as exc:
            await respond(response_type="ephemeral", **notice(message_for(exc)))
