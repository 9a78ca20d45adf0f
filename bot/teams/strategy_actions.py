"""Teams actions for contact strategies, their authorisation, and partner-agency sharing.

The same dialogs/ calls as bot/slack/strategy_handlers.py, so both platforms ask the
same questions and apply the same rules (s7, s7.1). Approve acts at once (the card's
own two-step confirmation has been through by then); Deny and Ask for changes first
check the clicker may decide, then open the form for the reason.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse, TurnContext

from bot.teams.context import message_response
from bot.teams.invokes import Button, Form, opens_form
from bot.teams.payloads import int_value
from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs import authorisation, sharing, strategy
from dialogs.context import Ctx
from storage.models import StaffMember

# -- forms: rebuilt from their context, then submitted ----------------------------------


async def _proposal_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    if meta.get("revision_of") is not None:
        return await strategy.proposal_form(
            ctx, actor=actor, revise_strategy_id=meta.get("revision_of")
        )
    return await strategy.proposal_form(ctx, actor=actor, person_id=meta.get("person_id"))


async def _submit_proposal(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    proposed = await strategy.submit_proposal(ctx, actor=actor, context=meta, submitted=values)
    return (
        f"The proposal for {proposed.reference} has gone to "
        f"{', '.join(proposed.authorisers)} to decide. I'll tell you the outcome."
    )


async def _decision_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    # Who may decide is checked when the decision is stored, from the database.
    return authorisation.decision_form(
        ctx, authorisation_id=meta.get("authorisation_id"), decision=str(meta.get("decision"))
    )


async def _submit_decision(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await authorisation.decide(
        ctx,
        actor=actor,
        authorisation_id=meta.get("authorisation_id"),
        decision=str(meta.get("decision")),
        submitted=values,
    )


async def _sharing_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await sharing.sharing_form(ctx, actor=actor, person_id=meta.get("person_id"))


async def _submit_sharing(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await sharing.submit_request(
        ctx, actor=actor, person_id=meta.get("person_id"), submitted=values
    )


async def _disclosure_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await sharing.disclosure_form(
        ctx, actor=actor, request_id=meta.get("sharing_request_id")
    )


async def _submit_disclosure(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await sharing.record_disclosure(
        ctx, actor=actor, request_id=meta.get("sharing_request_id"), submitted=values
    )


FORMS: dict[str, Form] = {
    FormName.STRATEGY: Form("Proposal sent", _proposal_spec, _submit_proposal),
    FormName.DECISION: Form("Decision recorded", _decision_spec, _submit_decision),
    FormName.SHARING: Form("Request sent", _sharing_spec, _submit_sharing),
    FormName.DISCLOSURE: Form("Disclosure recorded", _disclosure_spec, _submit_disclosure),
}

# -- buttons ---------------------------------------------------------------------------


async def _approve(
    ctx: Ctx, turn: TurnContext, actor: StaffMember, data: dict[str, Any]
) -> InvokeResponse:
    note = await authorisation.decide(
        ctx,
        actor=actor,
        authorisation_id=int_value(data.get("authorisation_id")),
        decision="approve",
    )
    return message_response(note)


async def _from_incident(ctx: Ctx, actor: StaffMember, incident_id: int) -> FormSpec:
    return await strategy.proposal_form(ctx, actor=actor, incident_id=incident_id)


async def _for_person(ctx: Ctx, actor: StaffMember, person_id: int) -> FormSpec:
    return await strategy.proposal_form(ctx, actor=actor, person_id=person_id)


async def _revise(ctx: Ctx, actor: StaffMember, strategy_id: int) -> FormSpec:
    return await strategy.proposal_form(ctx, actor=actor, revise_strategy_id=strategy_id)


async def _deny(ctx: Ctx, actor: StaffMember, authorisation_id: int) -> FormSpec:
    await authorisation.check_can_decide(ctx, actor=actor, authorisation_id=authorisation_id)
    return authorisation.decision_form(ctx, authorisation_id=authorisation_id, decision="deny")


async def _changes(ctx: Ctx, actor: StaffMember, authorisation_id: int) -> FormSpec:
    await authorisation.check_can_decide(ctx, actor=actor, authorisation_id=authorisation_id)
    return authorisation.decision_form(ctx, authorisation_id=authorisation_id, decision="changes")


async def _share(ctx: Ctx, actor: StaffMember, person_id: int) -> FormSpec:
    return await sharing.sharing_form(ctx, actor=actor, person_id=person_id)


async def _disclose(ctx: Ctx, actor: StaffMember, request_id: int) -> FormSpec:
    return await sharing.disclosure_form(ctx, actor=actor, request_id=request_id)


BUTTONS: dict[str, Button] = {
    ActionId.APPROVE: _approve,
    ActionId.DENY: opens_form("authorisation_id", _deny),
    ActionId.ASK_CHANGES: opens_form("authorisation_id", _changes),
    ActionId.PROPOSE_FROM_INCIDENT: opens_form("incident_id", _from_incident),
    ActionId.PROPOSE_FOR_PERSON: opens_form("person_id", _for_person),
    ActionId.REVISE_STRATEGY: opens_form("strategy_id", _revise),
    ActionId.REQUEST_SHARING: opens_form("person_id", _share),
    ActionId.RECORD_DISCLOSURE: opens_form("sharing_request_id", _disclose),
}
