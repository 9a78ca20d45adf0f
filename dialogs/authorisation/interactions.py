"""The authoriser's card: Approve, Deny, Ask for changes, and the reason form (s7, s7.1)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.authorisation import decide
from dialogs.authorisation.jobs import nudge
from dialogs.authorisation.rules import AUTHORISERS
from dialogs.interactions import Button, Form, opens
from dialogs.jobs.payloads import AuthorisationNudge
from dialogs.policy_map import carries

DENY = {"decision": "deny"}
CHANGES = {"decision": "changes"}


INTERACTIONS = (
    Button(ActionId.APPROVE, "authorisation_id", decide.approve, AUTHORISERS),
    opens(ActionId.DENY, "authorisation_id", decide.reason_form, who=AUTHORISERS, extra=DENY),
    opens(
        ActionId.ASK_CHANGES, "authorisation_id", decide.reason_form, who=AUTHORISERS, extra=CHANGES
    ),
    opens(ActionId.APPROVE_FROM, "authorisation_id", decide.approve_from_form, who=AUTHORISERS),
    Form(
        FormName.APPROVE_FROM,
        "Approved from a date",
        decide.approve_from_form,
        decide.submit_approve_from,
        AUTHORISERS,
    ),
    Form(
        FormName.DECISION,
        "Decision recorded",
        decide.reason_form,
        decide.submit_reason,
        AUTHORISERS,
    ),
)

JOBS = {AuthorisationNudge.kind: nudge}

POLICY = (
    carries(
        "7",
        "Only an authoriser may restrict contact (by default not on their own proposal: "
        "the office's own safeguard, policy.separate_proposer_and_authoriser), and the "
        "first decision wins; on approval the letter to the person says what the policy "
        "requires.",
        "tests/e2e/test_slack_strategy.py::test_permission_matrix",
        "tests/e2e/test_slack_strategy.py::test_authoriser_cannot_decide_own_proposal",
        "tests/e2e/test_slack_strategy.py::test_double_click_and_concurrent_decisions_give_one_decision",
        "tests/e2e/test_slack_strategy.py::test_letter_says_everything_the_policy_requires",
    ),
    carries(
        "7",
        "An authorisation left undecided is chased.",
        "tests/integration/test_scheduler.py::test_undecided_authorisation_nudges_after_the_configured_hours",
    ),
    carries(
        "7.1",
        "A strategy coming into force stores its review reminders.",
        "tests/e2e/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/integration/test_scheduler.py::test_review_reminders_on_their_days_then_weekly_while_overdue",
    ),
    carries(
        "7",
        "Authorisers are the Head of Business Services and Assurance or senior staff "
        "nominated by the Chief Executive: the staff directory records which, and for a "
        "nomination by whom (a chief executive in the directory) and since when; every "
        "approval shows it, and doctor and serve warn about an authoriser with neither.",
        "tests/unit/test_settings.py::test_a_nomination_names_a_chief_executive_and_a_date",
        "tests/unit/test_settings.py::test_an_authoritys_words_and_the_warning_for_none",
        "tests/e2e/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
    ),
)
