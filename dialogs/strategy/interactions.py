"""Proposing a contact strategy: the command, the card buttons, and the form (s7)."""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs.context import Ctx
from dialogs.interactions import Command, Form, Turn, opens
from dialogs.people.find import one_person
from dialogs.policy_map import carries
from dialogs.strategy.propose import confirmation, proposal_form, submit_proposal
from dialogs.strategy.rules import PROPOSERS
from storage.models import StaffMember


async def _command(turn: Turn, args: str) -> FormSpec:
    """The proposal form for the one person named."""
    async with turn.ctx.db.read() as session:
        who = await one_person(session, args, usage="/strategy")
    return await proposal_form(turn.ctx, actor=turn.actor, person_id=who.id)


async def _from_incident(ctx: Ctx, actor: StaffMember, incident_id: int) -> FormSpec:
    return await proposal_form(ctx, actor=actor, incident_id=incident_id)


async def _for_person(ctx: Ctx, actor: StaffMember, person_id: int) -> FormSpec:
    return await proposal_form(ctx, actor=actor, person_id=person_id)


async def _revise(ctx: Ctx, actor: StaffMember, strategy_id: int) -> FormSpec:
    return await proposal_form(ctx, actor=actor, revise_strategy_id=strategy_id)


async def _spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    if context.get("revision_of") is not None:
        return await _revise(turn.ctx, turn.actor, context["revision_of"])
    return await _for_person(turn.ctx, turn.actor, context.get("person_id"))  # type: ignore[arg-type]


async def _submit(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    proposed = await submit_proposal(turn.ctx, actor=turn.actor, context=context, submitted=values)
    return confirmation(proposed)


INTERACTIONS = (
    Command(
        "strategy",
        "strategy <reference or name>",
        "Propose a contact strategy (managers and authorisers)",
        _command,
        PROPOSERS,
    ),
    opens(ActionId.PROPOSE_FROM_INCIDENT, "incident_id", _from_incident, who=PROPOSERS),
    opens(ActionId.PROPOSE_FOR_PERSON, "person_id", _for_person, who=PROPOSERS),
    opens(ActionId.REVISE_STRATEGY, "strategy_id", _revise, who=PROPOSERS),
    Form(FormName.STRATEGY, "Proposal sent", _spec, _submit, PROPOSERS),
)

POLICY = (
    carries(
        "5",
        "A strategy records the reasonable adjustments considered, and refuses restrictions "
        "that leave no contact method the person can use given their needs.",
        "tests/test_slack_strategy.py::test_validation_refusals",
        "tests/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
    ),
    carries(
        "6",
        "A strategy needs a warning first, or the reason there was none.",
        "tests/test_slack_strategy.py::test_validation_refusals",
    ),
    carries(
        "7",
        "Proposing a contact strategy: the incidents it rests on, the reasons, the "
        "restrictions, the five s7 criteria each with a note, and a review date.",
        "tests/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/test_slack_strategy.py::test_validation_refusals",
    ),
    carries(
        "7.2",
        "A strategy may not close every route to the office.",
        "tests/test_slack_strategy.py::test_validation_refusals",
    ),
)
