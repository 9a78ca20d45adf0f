"""Slack interactivity: form submissions, buttons, type-ahead options and the App Home."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.context import ctx_for, message_for
from bot.runtime import Runtime
from bot.slack import form_buttons, monitoring_handlers, payloads, strategy_handlers
from bot.slack.context import ack_refusal, actor_for, notice, notice_view
from bot.slack.form_buttons import FormBuilder
from cards.forms import FormSpec
from cards.ids import ActionId, FormName, IncidentField
from cards.render import render
from dialogs import home, incident, incident_actions, welfare
from dialogs.context import Ctx
from dialogs.errors import DomainError, NotInDirectory
from storage.models import StaffMember

log = logging.getLogger(__name__)

Submit = Callable[[Ctx, StaffMember, dict[str, Any], dict[str, Any]], Awaitable[str]]


async def _submit_incident(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    recorded = await incident.submit(ctx, actor=actor, submitted=values)
    return (
        f"Your report is saved as *{recorded.reference}*. Your manager has been told, "
        "and I've sent you a check-in in our direct messages."
    )


async def _submit_warning(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await incident_actions.submit_warning(
        ctx, actor=actor, incident_id=meta.get("incident_id"), submitted=values
    )


async def _submit_police(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await incident_actions.submit_police(
        ctx, actor=actor, incident_id=meta.get("incident_id"), submitted=values
    )


SUBMISSIONS: dict[str, tuple[str, Submit]] = {
    FormName.INCIDENT: ("Report saved", _submit_incident),
    FormName.WARNING: ("Warning recorded", _submit_warning),
    FormName.POLICE_REFERRAL: ("Referral recorded", _submit_police),
    **strategy_handlers.SUBMISSIONS,
    **monitoring_handlers.SUBMISSIONS,
}


async def _warning_form(ctx: Ctx, actor: StaffMember, incident_id: int) -> FormSpec:
    return await incident_actions.warning_form(ctx, actor=actor, incident_id=incident_id)


async def _police_form(ctx: Ctx, actor: StaffMember, incident_id: int) -> FormSpec:
    return await incident_actions.police_form(ctx, actor=actor, incident_id=incident_id)


INCIDENT_FORMS: dict[str, FormBuilder] = {
    ActionId.RECORD_WARNING: _warning_form,
    ActionId.RECORD_POLICE: _police_form,
}


def register(app: AsyncApp, runtime: Runtime) -> None:
    async def on_submission(ack: Any, body: dict[str, Any]) -> None:
        """Validate and store before acking: errors go under their fields, nothing is lost.

        Storing is one short transaction; everything slow (messages) is in the outbox.
        """
        view = body.get("view") or {}
        title, submit = SUBMISSIONS[view.get("callback_id")]
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            values = payloads.form_values(view)
            meta = payloads.metadata(view)
            text = await submit(ctx, actor, values, meta)
        except Exception as exc:
            await ack_refusal(ack, view, exc)
            return
        await ack(response_action="update", view=notice_view(title, text))

    for name in SUBMISSIONS:
        app.view(name)(on_submission)

    @app.options(IncidentField.PERSON)
    async def person_options(ack: Any, body: dict[str, Any]) -> None:
        try:
            ctx = ctx_for(runtime)
            await actor_for(ctx, (body.get("user") or {}).get("id"))
            choices = await incident.search_people(ctx, query=str(body.get("value") or ""))
        except Exception as exc:
            if not isinstance(exc, DomainError):
                message_for(exc)  # logged with a reference
            await ack(options=[])
            return
        await ack(
            options=[
                {"text": {"type": "plain_text", "text": c.label}, "value": c.value} for c in choices
            ]
        )

    @app.action(ActionId.ACKNOWLEDGE)
    async def acknowledge(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            incident_id = payloads.int_value(_action(body).get("value"))
            note = await incident_actions.acknowledge(ctx, actor=actor, incident_id=incident_id)
            if (body.get("view") or {}).get("type") == "home":
                await publish_home(app, runtime, actor)
            else:
                await respond(response_type="ephemeral", replace_original=False, **notice(note))
        except Exception as exc:
            await _tell(respond, exc)

    form_buttons.register(app, runtime, INCIDENT_FORMS)

    async def on_welfare(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        action = _action(body)
        choice = {
            ActionId.WELFARE_OK: "ok",
            ActionId.WELFARE_TALK: "talk",
            ActionId.WELFARE_SUPPORT: "support",
        }[action.get("action_id")]
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            checkin_id = payloads.int_value(action.get("value"))
            reply = await welfare.answer(ctx, actor=actor, checkin_id=checkin_id, choice=choice)
        except Exception as exc:
            await _tell(respond, exc)
            return
        await respond(
            replace_original=True,
            **render("slack", "welfare_checkin", {**reply.checkin, "note": reply.note}),
        )
        if reply.support is not None:
            await respond(replace_original=False, **render("slack", "support", reply.support))

    for action_id in (ActionId.WELFARE_OK, ActionId.WELFARE_TALK, ActionId.WELFARE_SUPPORT):
        app.action(action_id)(on_welfare)

    @app.action(ActionId.PRIVACY_STEPS)
    async def privacy_steps(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        action = _action(body)
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            block = str(action.get("block_id") or "")
            checkin_id = payloads.int_value(block.removeprefix("privacy:"))
            steps = payloads.element_value(action) or []
            await welfare.save_privacy_steps(ctx, actor=actor, checkin_id=checkin_id, steps=steps)
        except Exception as exc:
            await _tell(respond, exc)

    @app.action(ActionId.NEW_INCIDENT)
    async def home_incident(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            await actor_for(ctx, (body.get("user") or {}).get("id"))
            view = render("slack", "form", incident.form(ctx).model_dump(mode="json"))
            await client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as exc:
            log.info("could not open the incident form from home: %s", type(exc).__name__)

    @app.action(ActionId.NEW_CHECKIN)
    async def home_checkin(ack: Any, body: dict[str, Any], client: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            model = await welfare.start(ctx, actor=actor)
            channel = (await client.conversations_open(users=actor.slack_user_id))["channel"]["id"]
            await client.chat_postMessage(
                channel=channel, **render("slack", "welfare_checkin", model)
            )
        except Exception as exc:
            log.info("could not start a check-in from home: %s", type(exc).__name__)

    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, event.get("user"))
        except NotInDirectory as exc:
            await app.client.views_publish(
                user_id=event.get("user"),
                view={"type": "home", "blocks": notice(exc.message)["blocks"]},
            )
            return
        await publish_home(app, runtime, actor)


async def publish_home(app: AsyncApp, runtime: Runtime, actor: StaffMember) -> None:
    model = await home.home(ctx_for(runtime), actor=actor)
    await app.client.views_publish(user_id=actor.slack_user_id, view=render("slack", "home", model))


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[0]
    return {}


async def _tell(respond: Any, exc: BaseException) -> None:
    await respond(response_type="ephemeral", replace_original=False, **notice(message_for(exc)))
