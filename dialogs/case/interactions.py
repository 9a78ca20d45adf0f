"""`/case REF`: look someone up before answering them (s7.1)."""

from __future__ import annotations

from dialogs.case.summary import lookup
from dialogs.interactions import Command
from dialogs.policy_map import carries

INTERACTIONS = (
    Command("case", "case <reference or name>", "Look someone up before you answer them", lookup),
)

POLICY = (
    carries(
        "7.1",
        "Staff keep to a strategy too: /case shows the restrictions in force, privately, "
        "before they answer someone.",
        "tests/e2e/test_slack_actions.py::test_case_lookup_is_private_and_shows_status",
    ),
)
