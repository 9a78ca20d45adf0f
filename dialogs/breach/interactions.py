"""Recording a breach: /breach, the /case button, and the form (s7.1)."""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs.breach.flow import form_for_person, form_for_query, form_from_context, submit
from dialogs.interactions import Command, Form, Turn, opens
from dialogs.policy_map import carries


async def _command(turn: Turn, args: str) -> FormSpec:
    return await form_for_query(turn.ctx, turn.actor, args)


async def _spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await form_from_context(turn.ctx, context)


async def _submit(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await submit(turn.ctx, actor=turn.actor, context=context, submitted=values)


INTERACTIONS = (
    Command(
        "breach",
        "breach <reference or name>",
        "Record a breach of a contact strategy in force",
        _command,
    ),
    opens(ActionId.RECORD_BREACH, "person_id", form_for_person),
    Form(FormName.BREACH, "Breach recorded", _spec, _submit),
)

POLICY = (
    carries(
        "7.1",
        "A breach is recorded and dealt with swiftly: those who look after the strategy "
        "are alerted at once and a letter reminds the person of the reasons and the "
        "consequences.",
        "tests/test_slack_monitoring.py::test_breach_alerts_the_right_people_at_once_and_prepares_the_letter",
        "tests/test_slack_monitoring.py::test_breach_letter_reminds_of_reasons_and_consequences",
    ),
    carries(
        "7.2",
        "Repeated breaches within the window prompt review or further action.",
        "tests/test_slack_monitoring.py::test_breach_threshold_counts_only_the_window",
    ),
)
