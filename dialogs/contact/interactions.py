"""Logging a contact from a restricted person (s7.2)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.contact.flow import form, submit
from dialogs.interactions import Form, opens
from dialogs.policy_map import carries

INTERACTIONS = (
    opens(ActionId.LOG_CONTACT, "person_id", form),
    Form(FormName.CONTACT_LOG, "Contact logged", form, submit),
)

POLICY = (
    carries(
        "7.2",
        "Every contact from a restricted person is logged and read for new information, "
        "complaints, criminal matters or safeguarding; the last two alert the manager at "
        "once.",
        "tests/e2e/test_slack_monitoring.py::test_contact_log_flags_alert_the_manager_at_once",
        "tests/e2e/test_slack_monitoring.py::test_alerts_are_not_held_for_office_hours",
    ),
)
