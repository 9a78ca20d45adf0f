"""Recording further action, such as legal advice, on a case (s7.2)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.authorisation.rules import AUTHORISERS
from dialogs.further_action.flow import form, submit
from dialogs.interactions import Form, opens
from dialogs.policy_map import carries

INTERACTIONS = (
    opens(ActionId.RECORD_FURTHER_ACTION, "person_id", form, who=AUTHORISERS),
    Form(FormName.FURTHER_ACTION, "Further action recorded", form, submit, who=AUTHORISERS),
)

POLICY = (
    carries(
        "7.2",
        "Further action a senior manager takes when a strategy has not worked (legal "
        "advice sought or received, or other action) is recorded by an authoriser with "
        "its date, shown on /case and kept on the case file.",
        "tests/e2e/test_further_action.py::test_an_authoriser_records_legal_advice_and_case_shows_it",
        "tests/e2e/test_further_action.py::test_only_an_authoriser_may_record_it",
    ),
)
