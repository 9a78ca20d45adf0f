"""Asking to share with a partner agency, and recording each disclosure (s7.1)."""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs.interactions import Form, Turn, opens
from dialogs.policy_map import carries
from dialogs.sharing.flow import disclosure_form, record_disclosure, sharing_form, submit_request


async def _sharing_spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await sharing_form(turn.ctx, turn.actor, context.get("person_id"))


async def _submit_sharing(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await submit_request(
        turn.ctx, actor=turn.actor, person_id=context.get("person_id"), submitted=values
    )


async def _disclosure_spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await disclosure_form(turn.ctx, turn.actor, context.get("sharing_request_id"))


async def _submit_disclosure(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await record_disclosure(
        turn.ctx, actor=turn.actor, request_id=context.get("sharing_request_id"), submitted=values
    )


INTERACTIONS = (
    opens(ActionId.REQUEST_SHARING, "person_id", sharing_form),
    Form(FormName.SHARING, "Request sent", _sharing_spec, _submit_sharing),
    opens(ActionId.RECORD_DISCLOSURE, "sharing_request_id", disclosure_form),
    Form(FormName.DISCLOSURE, "Disclosure recorded", _disclosure_spec, _submit_disclosure),
)

POLICY = (
    carries(
        "7.1",
        "Sharing a strategy with a partner agency: only for a legitimate reason, only "
        "once an authoriser agrees, and every disclosure logged.",
        "tests/test_slack_strategy.py::test_sharing_approved_then_disclosure_logged",
        "tests/test_slack_strategy.py::test_sharing_denied_and_no_disclosure_possible",
        "tests/test_slack_strategy.py::test_other_explanation_required",
    ),
)
