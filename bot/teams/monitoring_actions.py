"""Teams actions for monitoring a strategy: reviews, breaches, the contact log, disputes.

The same dialogs/ calls as bot/slack/monitoring_handlers.py (s7.1-s7.3). A review that
alters the strategy answers with the alteration form, which replaces the review form
on the card, as the next view replaces the modal on Slack.
"""

from __future__ import annotations

from typing import Any

from bot.teams.invokes import Answer, Button, Form, opens_form
from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs import breach, contact_log, dispute, review
from dialogs.context import Ctx
from storage.models import StaffMember

# -- forms: rebuilt from their context, then submitted ----------------------------------


async def _review_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await review.form_from_context(ctx, actor=actor, name=FormName.REVIEW, context=meta)


async def _submit_review(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> Answer:
    reviewed = await review.submit_review(ctx, actor=actor, context=meta, submitted=values)
    return reviewed.next_form if reviewed.next_form is not None else reviewed.message


async def _alteration_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await review.form_from_context(ctx, actor=actor, name=FormName.ALTERATION, context=meta)


async def _submit_alteration(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await review.submit_alteration(ctx, actor=actor, context=meta, submitted=values)


async def _breach_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await breach.form_from_context(ctx, actor=actor, context=meta)


async def _submit_breach(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    recorded = await breach.submit(ctx, actor=actor, context=meta, submitted=values)
    return breach.confirmation(recorded, ctx)


async def _contact_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await contact_log.form(ctx, actor=actor, person_id=meta.get("person_id"))


async def _submit_contact(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    logged = await contact_log.submit(ctx, actor=actor, context=meta, submitted=values)
    return contact_log.confirmation(logged)


async def _dispute_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await dispute.record_form_from_context(ctx, actor=actor, context=meta)


async def _submit_dispute(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await dispute.submit_dispute(ctx, actor=actor, context=meta, submitted=values)


async def _outcome_spec(ctx: Ctx, actor: StaffMember, meta: dict[str, Any]) -> FormSpec:
    return await dispute.outcome_form(ctx, actor=actor, dispute_id=meta.get("dispute_id"))


async def _submit_outcome(
    ctx: Ctx, actor: StaffMember, values: dict[str, Any], meta: dict[str, Any]
) -> str:
    return await dispute.decide(
        ctx, actor=actor, dispute_id=meta.get("dispute_id"), submitted=values
    )


FORMS: dict[str, Form] = {
    FormName.REVIEW: Form("Review recorded", _review_spec, _submit_review),
    FormName.ALTERATION: Form("Change sent", _alteration_spec, _submit_alteration),
    FormName.BREACH: Form("Breach recorded", _breach_spec, _submit_breach),
    FormName.CONTACT_LOG: Form("Contact logged", _contact_spec, _submit_contact),
    FormName.DISPUTE: Form("Dispute recorded", _dispute_spec, _submit_dispute),
    FormName.DISPUTE_OUTCOME: Form("Outcome recorded", _outcome_spec, _submit_outcome),
}

# -- buttons: each opens its form below the card ------------------------------------------


async def _review(ctx: Ctx, actor: StaffMember, strategy_id: int) -> FormSpec:
    return await review.review_form(ctx, actor=actor, strategy_id=strategy_id)


async def _breach(ctx: Ctx, actor: StaffMember, person_id: int) -> FormSpec:
    return await breach.form_for_person(ctx, actor=actor, person_id=person_id)


async def _contact(ctx: Ctx, actor: StaffMember, person_id: int) -> FormSpec:
    return await contact_log.form(ctx, actor=actor, person_id=person_id)


async def _dispute(ctx: Ctx, actor: StaffMember, person_id: int) -> FormSpec:
    return await dispute.record_form(ctx, actor=actor, person_id=person_id)


async def _decide(ctx: Ctx, actor: StaffMember, dispute_id: int) -> FormSpec:
    return await dispute.outcome_form(ctx, actor=actor, dispute_id=dispute_id)


BUTTONS: dict[str, Button] = {
    ActionId.START_REVIEW: opens_form("strategy_id", _review),
    ActionId.RECORD_BREACH: opens_form("person_id", _breach),
    ActionId.LOG_CONTACT: opens_form("person_id", _contact),
    ActionId.RECORD_DISPUTE: opens_form("person_id", _dispute),
    ActionId.DISPUTE_DECIDE: opens_form("dispute_id", _decide),
}
