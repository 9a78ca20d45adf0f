"""Record letter sent, and the jobs of notice before effect (s6, s7, s7.1)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.interactions import Form, opens
from dialogs.jobs.payloads import LetterUnsent, StrategyTakesEffect
from dialogs.notice import address, effect, flow
from dialogs.policy_map import carries

INTERACTIONS = (
    opens(ActionId.RECORD_LETTER_SENT, "letter_id", flow.form),
    Form(FormName.LETTER_SENT, "Letter sent", flow.form, flow.submit),
    opens(ActionId.CHANGE_LETTER_ADDRESS, "letter_id", address.form),
    Form(FormName.LETTER_ADDRESS, "Their address", address.form, address.submit),
)

JOBS = {
    LetterUnsent.kind: effect.unsent_reminder,
    StrategyTakesEffect.kind: effect.on_effective_day,
}

POLICY = (
    carries(
        "6",
        "A restriction is approved, then takes effect only once its letter is recorded as "
        "sent (method, date, who): the person is advised before it is put in place.",
        "tests/e2e/test_slack_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/e2e/test_teams_strategy.py::test_propose_approve_activate_and_tell_everyone",
        "tests/e2e/test_slack_notice.py::test_approved_is_not_in_force_until_the_letter_is_sent",
    ),
    carries(
        "7",
        "Until its letter is sent a strategy is approved, awaiting notice: /case says so, no "
        "breach can be recorded, staff are not told, and its proposer is reminded in office "
        "hours; it takes effect on the later of the letter's day and the authoriser's.",
        "tests/integration/test_notice.py::test_reminders_while_the_letter_is_unsent_in_office_hours",
        "tests/integration/test_notice.py::test_approve_from_a_date_waits_for_that_day_and_for_the_letter",
        "tests/e2e/test_slack_notice.py::test_approve_from_a_date_on_the_card",
    ),
    carries(
        "7",
        "Where an unsent letter goes (the person's postal address and email) can be "
        "corrected from its card by whoever may send it, audited, so a refused email "
        "address does not leave the person untold.",
        "tests/e2e/test_letter_email.py::test_a_refused_email_leaves_the_letter_unsent",
    ),
    carries(
        "7.1",
        "The review date is counted from the day the strategy took effect.",
        "tests/integration/test_notice.py::test_the_effective_date_drives_the_review_reminders",
    ),
)
