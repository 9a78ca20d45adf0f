"""Slack wiring for monitoring a strategy: reviews, breaches, the contact log, disputes.

Each form's rules live in dialogs/; this module only opens forms, hands submissions
over and shows the answer. The review form is the one exception to the shared
submission handler: choosing "alter" answers with the next form, not a notice.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.context import ctx_for, message_for
from bot.runtime import Runtime
from bot.slack import form_buttons, payloads
from bot.slack.context import ack_refusal, actor_for, notice, notice_view
from bot.slack.form_buttons import FormBuilder, form_view
from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs import breach, contact_log, dispute, review
from dialogs.context import Ctx
from storage.models import StaffMember


async def _submit_breach(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    recorded = await breach.submit(ctx, actor=actor, context=meta, submitted=values)
    return breach.confirmation(recorded, ctx)


async def _submit_contact(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    logged = await contact_log.submit(ctx, actor=actor, context=meta, submitted=values)
    return contact_log.confirmation(logged)


async def _submit_dispute(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await dispute.submit_dispute(ctx, actor=actor, context=meta, submitted=values)


async def _submit_outcome(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await dispute.decide(
        ctx, actor=actor, dispute_id=meta.get("dispute_id"), submitted=values
    )


async def _submit_alteration(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await review.submit_alteration(ctx, actor=actor, context=meta, submitted=values)


# Merged into interactions.SUBMISSIONS: the shared handler validates, stores, then acks.
SUBMISSIONS = {
    FormName.BREACH: ("Breach recorded", _submit_breach),
    FormName.CONTACT_LOG: ("Contact logged", _submit_contact),
    FormName.DISPUTE: ("Dispute recorded", _submit_dispute),
    FormName.DISPUTE_OUTCOME: ("Outcome recorded", _submit_outcome),
    FormName.ALTERATION: ("Change sent", _submit_alteration),
}


async def _review(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await review.review_form(ctx, actor=actor, strategy_id=value)


async def _breach(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await breach.form_for_person(ctx, actor=actor, person_id=value)


async def _contact(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await contact_log.form(ctx, actor=actor, person_id=value)


async def _dispute(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await dispute.record_form(ctx, actor=actor, person_id=value)


async def _decide(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await dispute.outcome_form(ctx, actor=actor, dispute_id=value)


FORM_BUTTONS: dict[str, FormBuilder] = {
    ActionId.START_REVIEW: _review,
    ActionId.RECORD_BREACH: _breach,
    ActionId.LOG_CONTACT: _contact,
    ActionId.RECORD_DISPUTE: _dispute,
    ActionId.DISPUTE_DECIDE: _decide,
}


def register(app: AsyncApp, runtime: Runtime) -> None:
    form_buttons.register(app, runtime, FORM_BUTTONS)

    @app.view(FormName.REVIEW)
    async def on_review(ack: Any, body: dict[str, Any]) -> None:
        """Continue and end are stored before the ack; alter answers with the proposal form."""
        view = body.get("view") or {}
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            result = await review.submit_review(
                ctx,
                actor=actor,
                context=payloads.metadata(view),
                submitted=payloads.form_values(view),
            )
        except Exception as exc:
            await ack_refusal(ack, view, exc)
            return
        if result.next_form is not None:
            await ack(response_action="update", view=form_view(result.next_form))
        else:
            await ack(response_action="update", view=notice_view("Review recorded", result.message))

    @app.command("/breach")
    async def breach_command(ack: Any, body: dict[str, Any], client: Any, respond: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, body.get("user_id"))
            spec = await breach.form_for_query(ctx, actor=actor, query=str(body.get("text") or ""))
            await client.views_open(trigger_id=body["trigger_id"], view=form_view(spec))
        except Exception as exc:
            await respond(response_type="ephemeral", **notice(message_for(exc)))
