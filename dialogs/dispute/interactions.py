"""Recording a dispute, and the decider's form (s7.3)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.dispute import flow
from dialogs.interactions import Form, opens
from dialogs.policy_map import carries

INTERACTIONS = (
    opens(ActionId.RECORD_DISPUTE, "person_id", flow.record_form),
    Form(FormName.DISPUTE, "Dispute recorded", flow.record_form, flow.submit_dispute),
    opens(ActionId.DISPUTE_DECIDE, "dispute_id", flow.outcome_form),
    Form(FormName.DISPUTE_OUTCOME, "Outcome recorded", flow.outcome_form, flow.decide),
)

POLICY = (
    carries(
        "7.3",
        "A dispute goes to the Chief Executive, or to someone independent when the Chief "
        "Executive took part in the decision, and the outcome is sent in writing.",
        "tests/e2e/test_slack_dispute.py::test_the_chief_executive_considers_a_dispute",
        "tests/e2e/test_slack_dispute.py::test_a_chief_executive_who_authorised_it_is_not_asked",
        "tests/e2e/test_slack_dispute.py::test_a_dispute_whose_decider_left_goes_to_someone_independent",
    ),
)
