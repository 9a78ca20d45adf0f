"""Closing a new matter a person raised (s7.2)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.interactions import Form, opens
from dialogs.matter.flow import form, incident_form, incident_submit, submit
from dialogs.policy_map import carries

INTERACTIONS = (
    opens(ActionId.CLOSE_MATTER, "matter_id", form),
    Form(FormName.MATTER_CLOSE, "Matter closed", form, submit),
    opens(ActionId.NOT_OURS, "incident_id", incident_form),
    Form(FormName.INCIDENT_NOT_OURS, "Not ours to handle", incident_form, incident_submit),
)

POLICY = (
    carries(
        "7.2",
        "A new matter a contact raises is kept open as its own item on the case, never a "
        "breach, until someone records how it was dealt with.",
        "tests/e2e/test_slack_monitoring.py::test_a_new_matter_stays_open_until_it_is_dealt_with",
    ),
    carries(
        "1",
        "A matter the office cannot deal with is closed as not ours to handle, pointing the "
        "person to the body that deals with it (organisation.other_bodies), and they are "
        "told by letter.",
        "tests/e2e/test_slack_monitoring.py::"
        "test_a_matter_the_office_does_not_handle_is_signposted_by_letter",
        "tests/e2e/test_slack_monitoring.py::"
        "test_a_report_whose_matter_is_not_ours_is_signposted_from_its_card",
        "tests/unit/test_letter_documents.py::test_every_letter_in_every_format",
    ),
)
