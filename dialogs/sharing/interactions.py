"""Asking to share with a partner agency, and recording each disclosure (s7.1)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.interactions import Form, opens
from dialogs.policy_map import carries
from dialogs.sharing.flow import disclosure_form, record_disclosure, sharing_form, submit_request

INTERACTIONS = (
    opens(ActionId.REQUEST_SHARING, "person_id", sharing_form),
    Form(FormName.SHARING, "Request sent", sharing_form, submit_request),
    opens(ActionId.RECORD_DISCLOSURE, "sharing_request_id", disclosure_form),
    Form(FormName.DISCLOSURE, "Disclosure recorded", disclosure_form, record_disclosure),
)

POLICY = (
    carries(
        "7.1",
        "Sharing a strategy with a partner agency: only for a legitimate reason, only "
        "once an authoriser agrees, and every disclosure logged.",
        "tests/e2e/test_slack_strategy.py::test_sharing_approved_then_disclosure_logged",
        "tests/e2e/test_slack_strategy.py::test_sharing_denied_and_no_disclosure_possible",
        "tests/e2e/test_slack_strategy.py::test_other_explanation_required",
    ),
)
