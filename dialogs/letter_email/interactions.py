"""Sending a letter by email, declared once for Slack, Teams and the web chat (issue 14)."""

from __future__ import annotations

from cards.ids import ActionId
from dialogs.interactions import Button
from dialogs.letter_email.flow import send_by_email
from dialogs.policy_map import carries

INTERACTIONS = (Button(ActionId.SEND_LETTER_EMAIL, "letter_id", send_by_email),)

POLICY = (
    carries(
        "7",
        "A letter is emailed to the person's recorded address from the office's, with its "
        "PDF, and recorded as sent only once the mail server has accepted it; a refusal "
        "or failure is told to the sender and the administrators and the letter stays "
        "unsent, so a restriction never runs before the person was told in writing.",
        "tests/e2e/test_letter_email.py::test_an_accepted_email_records_the_letter_as_sent",
        "tests/e2e/test_letter_email.py::test_a_refused_email_leaves_the_letter_unsent",
        "tests/e2e/test_letter_email.py::test_an_unreachable_server_leaves_the_letter_unsent",
        "tests/e2e/test_letter_email.py::test_a_double_click_sends_the_letter_once",
        "tests/e2e/test_letter_email.py::test_slack_sends_by_email_from_the_letter_card",
    ),
)
