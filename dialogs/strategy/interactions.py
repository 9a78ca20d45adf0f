"""Proposing a contact strategy: the command, the card buttons, and the form (s7)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.interactions import Command, Form, opens
from dialogs.policy_map import carries
from dialogs.strategy.propose import for_named, proposal_form, submit
from dialogs.strategy.rules import PROPOSERS

INTERACTIONS = (
    Command(
        "strategy",
        "strategy <reference or name>",
        "Propose a contact strategy (managers and authorisers)",
        for_named,
        PROPOSERS,
    ),
    opens(ActionId.PROPOSE_FROM_INCIDENT, "incident_id", proposal_form, who=PROPOSERS),
    opens(ActionId.PROPOSE_FOR_PERSON, "person_id", proposal_form, who=PROPOSERS),
    opens(
        ActionId.REVISE_STRATEGY, "strategy_id", proposal_form, who=PROPOSERS, as_key="revision_of"
    ),
    Form(FormName.STRATEGY, "Proposal sent", proposal_form, submit, PROPOSERS),
)

POLICY = (
    carries(
        "5",
        "A strategy records the reasonable adjustments considered, and refuses restrictions "
        "that leave no contact method the person can use given their needs.",
        "tests/e2e/test_slack_strategy.py::test_validation_refusals",
        "tests/e2e/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
    ),
    carries(
        "6",
        'A strategy needs a warning first, or the reason there was none. "Warned first" '
        "is checked against the warnings on file as given (a written one once its letter is "
        "recorded as sent), and the authoriser's card names them, or sets the reason apart.",
        "tests/e2e/test_slack_strategy.py::test_validation_refusals",
        "tests/e2e/test_slack_strategy.py::test_a_written_warning_counts_once_its_letter_is_sent",
        "tests/e2e/test_teams_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/unit/test_warned_first.py::test_yes_is_refused_with_nothing_on_file",
    ),
    carries(
        "7",
        "Proposing a contact strategy: the incidents it rests on, the reasons, the "
        "restrictions, the five s7 criteria each with a note, and a review date.",
        "tests/e2e/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/e2e/test_slack_strategy.py::test_validation_refusals",
    ),
    carries(
        "7.2",
        "A strategy may not close every route to the office.",
        "tests/e2e/test_slack_strategy.py::test_validation_refusals",
    ),
)
