"""Logging a contact from a restricted person (s7.2)."""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import ActionId, FormName
from dialogs.contact.flow import form, submit
from dialogs.interactions import Form, Turn, opens
from dialogs.policy_map import carries


async def _spec(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await form(turn.ctx, turn.actor, context.get("person_id"))


async def _submit(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    return await submit(turn.ctx, actor=turn.actor, context=context, submitted=values)


INTERACTIONS = (
    opens(ActionId.LOG_CONTACT, "person_id", form),
    Form(FormName.CONTACT_LOG, "Contact logged", _spec, _submit),
)

POLICY = (
    carries(
        "7.2",
        "Every contact from a restricted person is logged and read for new information, "
        "complaints, criminal matters or safeguarding; the last two alert the manager at "
        "once.",
        "tests/test_slack_monitoring.py::test_contact_log_flags_alert_the_manager_at_once",
        "tests/test_slack_monitoring.py::test_alerts_are_not_held_for_office_hours",
    ),
)
