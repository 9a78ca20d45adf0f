"""Reviewing a strategy: Start review, the review form, and the alteration form (s7.1)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.interactions import Form, opens
from dialogs.jobs.payloads import ReviewOverdue, ReviewReminder
from dialogs.policy_map import carries
from dialogs.review import flow
from dialogs.review.jobs import overdue, reminder

INTERACTIONS = (
    opens(ActionId.START_REVIEW, "strategy_id", flow.review_form),
    Form(FormName.REVIEW, "Review recorded", flow.review_form, flow.submit_review),
    Form(FormName.ALTERATION, "Change sent", flow.alteration_form, flow.submit_alteration),
)

JOBS = {ReviewReminder.kind: reminder, ReviewOverdue.kind: overdue}

POLICY = (
    carries(
        "7",
        "Continuing a strategy is itself a decision to restrict contact: an authoriser "
        "takes it. (That it is not the authoriser who proposed it is the office's own "
        "safeguard, policy.separate_proposer_and_authoriser, on by default; not s7's.)",
        "tests/e2e/test_slack_review.py::test_an_authoriser_who_proposed_it_cannot_continue_it_alone",
    ),
    carries(
        "7.1",
        "A strategy is reviewed and continued, altered or ended, and the person is told "
        "of the change in writing.",
        "tests/e2e/test_slack_review.py::test_continue_sets_a_new_date_fresh_reminders_and_writes",
        "tests/e2e/test_slack_review.py::test_end_lifts_the_restrictions_and_writes",
        "tests/e2e/test_slack_review.py::test_alter_goes_through_authorisation_again",
    ),
    carries(
        "7.1",
        "Review reminders before the review date, then weekly while overdue, until a "
        "review is held; from review_overdue_escalate_weeks overdue, the Chief Executive "
        "is told as well, so no strategy runs on unreviewed unseen.",
        "tests/integration/test_scheduler.py::test_review_reminders_on_their_days_then_weekly_while_overdue",
        "tests/integration/test_scheduler.py::test_a_held_review_stops_the_overdue_reminders",
        "tests/integration/test_scheduler.py::test_a_review_overdue_four_weeks_goes_to_the_chief_executive",
    ),
)
