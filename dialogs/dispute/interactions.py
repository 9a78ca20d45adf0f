"""Recording a dispute, and the decider's form (s7.3)."""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs.dispute import flow
from dialogs.interactions import Form, Turn, opens
from dialogs.policy_map import carries


async def _record_spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await flow.record_form_from_context(turn.ctx, context)


async def _submit_dispute(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await flow.submit_dispute(turn.ctx, actor=turn.actor, context=context, submitted=values)


async def _outcome_spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await flow.outcome_form(turn.ctx, turn.actor, context.get("dispute_id"))


async def _submit_outcome(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await flow.decide(
        turn.ctx, actor=turn.actor, dispute_id=context.get("dispute_id"), submitted=values
    )


INTERACTIONS = (
    opens(ActionId.RECORD_DISPUTE, "person_id", flow.record_form),
    Form(FormName.DISPUTE, "Dispute recorded", _record_spec, _submit_dispute),
    opens(ActionId.DISPUTE_DECIDE, "dispute_id", flow.outcome_form),
    Form(FormName.DISPUTE_OUTCOME, "Outcome recorded", _outcome_spec, _submit_outcome),
)

POLICY = (
    carries(
        "7.3",
        "A dispute goes to the Chief Executive, or to someone independent when the Chief "
        "Executive took part in the decision, and the outcome is sent in writing.",
        "tests/test_slack_dispute.py::test_the_chief_executive_considers_a_dispute",
        "tests/test_slack_dispute.py::test_a_chief_executive_who_authorised_it_is_not_asked",
        "tests/test_slack_dispute.py::test_a_dispute_whose_decider_left_goes_to_someone_independent",
    ),
)
