"""Record letter sent, and the jobs of notice before effect (s6, s7, s7.1)."""

from __future__ import annotations

from cards.ids import ActionId, FormName
from dialogs.interactions import Form, opens
from dialogs.jobs.payloads import LetterUnsent, StrategyTakesEffect
from dialogs.notice import effect, flow
from dialogs.policy_map import carries

INTERACTIONS = (
    opens(ActionId.RECORD_LETTER_SENT, "letter_id", flow.form),
    Form(FormName.LETTER_SENT, "Letter sent", flow.form, flow.submit),
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
    ),
)
