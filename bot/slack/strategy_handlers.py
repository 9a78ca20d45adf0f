"""Slack wiring for contact strategies, authorisation decisions and partner-agency sharing."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.context import ctx_for, message_for
from bot.runtime import Runtime
from bot.slack import form_buttons, payloads
from bot.slack.context import actor_for, notice
from bot.slack.form_buttons import FormBuilder, form_view
from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs import authorisation, case_file, sharing, strategy
from dialogs.context import Ctx
from dialogs.errors import BadRequest, DomainError
from storage.models import StaffMember


async def _submit_strategy(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    proposed = await strategy.submit_proposal(ctx, actor=actor, context=meta, submitted=values)
    return (
        f"The proposal for *{proposed.reference}* has gone to "
        f"{', '.join(proposed.authorisers)} to decide. I'll tell you the outcome."
    )


async def _submit_decision(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    decision = meta.get("decision")
    if decision not in ("deny", "changes"):
        # The reason form only ever denies or sends back; Approve is its own button.
        raise BadRequest("This form's details are not valid; please use the card's buttons.")
    return await authorisation.decide(
        ctx,
        actor=actor,
        authorisation_id=meta.get("authorisation_id"),
        decision=decision,
        submitted=values,
    )


async def _submit_sharing(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await sharing.submit_request(
        ctx, actor=actor, person_id=meta.get("person_id"), submitted=values
    )


async def _submit_disclosure(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await sharing.record_disclosure(
        ctx, actor=actor, request_id=meta.get("sharing_request_id"), submitted=values
    )


SUBMISSIONS = {
    FormName.STRATEGY: ("Proposal sent", _submit_strategy),
    FormName.DECISION: ("Decision recorded", _submit_decision),
    FormName.SHARING: ("Request sent", _submit_sharing),
    FormName.DISCLOSURE: ("Disclosure recorded", _submit_disclosure),
}


async def _from_incident(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await strategy.proposal_form(ctx, actor=actor, incident_id=value)


async def _for_person(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await strategy.proposal_form(ctx, actor=actor, person_id=value)


async def _revise(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await strategy.proposal_form(ctx, actor=actor, revise_strategy_id=value)


async def _deny(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    await authorisation.check_can_decide(ctx, actor=actor, authorisation_id=value)
    return authorisation.decision_form(ctx, authorisation_id=value, decision="deny")


async def _changes(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    await authorisation.check_can_decide(ctx, actor=actor, authorisation_id=value)
    return authorisation.decision_form(ctx, authorisation_id=value, decision="changes")


async def _share(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await sharing.sharing_form(ctx, actor=actor, person_id=value)


async def _disclose(ctx: Ctx, actor: StaffMember, value: int) -> FormSpec:
    return await sharing.disclosure_form(ctx, actor=actor, request_id=value)


FORM_BUTTONS: dict[str, FormBuilder] = {
    ActionId.PROPOSE_FROM_INCIDENT: _from_incident,
    ActionId.PROPOSE_FOR_PERSON: _for_person,
    ActionId.REVISE_STRATEGY: _revise,
    ActionId.DENY: _deny,
    ActionId.ASK_CHANGES: _changes,
    ActionId.REQUEST_SHARING: _share,
    ActionId.RECORD_DISCLOSURE: _disclose,
}


def register(app: AsyncApp, runtime: Runtime) -> None:
    form_buttons.register(app, runtime, FORM_BUTTONS)

    @app.action(ActionId.APPROVE)
    async def approve(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        action = (body.get("actions") or [{}])[0]
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, (body.get("user") or {}).get("id"))
            note = await authorisation.decide(
                ctx,
                actor=actor,
                authorisation_id=payloads.int_value(action.get("value")),
                decision="approve",
            )
        except Exception as exc:
            note = message_for(exc)
        await respond(response_type="ephemeral", replace_original=False, **notice(note))

    @app.command("/strategy")
    async def strategy_command(ack: Any, body: dict[str, Any], client: Any, respond: Any) -> None:
        await ack()
        try:
            ctx = ctx_for(runtime)
            actor = await actor_for(ctx, body.get("user_id"))
            query = str(body.get("text") or "").strip()[:100]
            if not query:
                raise DomainError("Tell me who it is for: `/strategy SC-2026-00042`.")
            async with ctx.db.read() as session:
                found = await case_file.find(session, query=query)
            if len(found) != 1:
                raise DomainError(
                    f"No one on file matches '{query}'."
                    if not found
                    else f"'{query}' matches {len(found)} people; use their case reference."
                )
            spec = await strategy.proposal_form(ctx, actor=actor, person_id=found[0].id)
            await client.views_open(trigger_id=body["trigger_id"], view=form_view(spec))
        except Exception as exc:
            await respond(response_type="ephemeral", **notice(message_for(exc)))
