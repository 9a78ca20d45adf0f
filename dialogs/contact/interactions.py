"""Logging a contact from a person with an open case (s7.2, s9)."""

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
        "6",
        "After a written warning that reached them, further correspondence on the matter can "
        "be logged as read and filed with no action, under that warning; refused without "
        "one, and for a new complaint (another matter), and a request for information is "
        "still passed on (legislative requirements).",
        "tests/e2e/test_slack_monitoring.py::test_correspondence_after_a_written_warning_is_read_and_filed",
    ),
    carries(
        "7.2",
        "Every contact from a person with an open case, strategy or not, is logged and read "
        "for new information, complaints, criminal matters or safeguarding; a new matter, a "
        "criminal matter or a safeguarding issue reaches the recorder's manager and the "
        "strategy's proposer at once.",
        "tests/e2e/test_slack_monitoring.py::test_contact_log_flags_alert_the_manager_at_once",
        "tests/e2e/test_slack_monitoring.py::test_alerts_are_not_held_for_office_hours",
        "tests/e2e/test_slack_monitoring.py::test_a_contact_is_logged_for_someone_without_a_strategy",
    ),
    carries(
        "7.2",
        "Contact through a restricted channel about another matter is not a breach: the "
        "breach form asks, and logs it as a contact instead.",
        "tests/e2e/test_slack_monitoring.py::"
        "test_contact_about_another_matter_or_asking_for_information_is_not_a_breach",
    ),
    carries(
        "9",
        "A freedom of information or subject access request, even through a restricted "
        "channel, is recorded as one (never a breach), goes to whoever handles them "
        "(policy.information_requests_to, else the administrators) and shows on /case.",
        "tests/e2e/test_slack_monitoring.py::"
        "test_contact_about_another_matter_or_asking_for_information_is_not_a_breach",
        "tests/e2e/test_slack_monitoring.py::test_contact_log_flags_alert_the_manager_at_once",
    ),
)
