"""Recording a breach: /breach, the /case button, and the form (s7.1)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.breach.flow import for_named, form, submit
from dialogs.interactions import Command, Form, opens
from dialogs.policy_map import carries

INTERACTIONS = (
    Command(
        "breach",
        "breach <reference or name>",
        "Record a breach of a contact strategy in force",
        for_named,
    ),
    opens(ActionId.RECORD_BREACH, "person_id", form),
    Form(FormName.BREACH, "Breach recorded", form, submit),
)

POLICY = (
    carries(
        "7.1",
        "A breach is recorded and dealt with swiftly: those who look after the strategy "
        "are alerted at once and a letter reminds the person of the reasons and the "
        "consequences.",
        "tests/e2e/test_slack_monitoring.py::test_breach_alerts_the_right_people_at_once_and_prepares_the_letter",
        "tests/e2e/test_slack_monitoring.py::test_breach_letter_reminds_of_reasons_and_consequences",
    ),
    carries(
        "7.2",
        "Repeated breaches within the window prompt review or further action.",
        "tests/e2e/test_slack_monitoring.py::test_breach_threshold_counts_only_the_window",
    ),
)
