"""s4, shortcomings first: the rule and its words (dialogs/strategy/shortcomings.py).

Through Slack and Teams: tests/e2e/test_slack_strategy.py and test_teams_strategy.py."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cards.ids import StrategyField as F
from dialogs.strategy import shortcomings
from storage.models import Incident

LONDON = ZoneInfo("Europe/London")


def report(incident_id: int, day: int, **answers: str) -> Incident:
    return Incident(
        id=incident_id,
        occurred_at=datetime(2026, 11, day, 10, tzinfo=UTC),
        self_check={"explained": "yes", "proportionate": "yes", **answers},
    )


def test_each_no_is_named_with_its_report_and_the_policys_question() -> None:
    reports = [report(2, 12, communicated="no"), report(1, 3, support="no", rationale="na")]
    lines = shortcomings.found(reports, LONDON)
    assert lines == [
        "Report of 03 Nov 2026: No to \u201cHave we asked if they would benefit from "
        "additional support? If so, has it been provided?\u201d",
        "Report of 12 Nov 2026: No to \u201cHave we communicated regularly and effectively?\u201d",
    ]
    assert shortcomings.found(reports, LONDON, only={2}) == lines[1:]


def test_a_no_needs_an_answer_and_the_card_sets_it_apart() -> None:
    lines = shortcomings.found([report(1, 3, communicated="no")], LONDON)
    assert F.SHORTCOMINGS in shortcomings.errors("  ", lines)
    assert shortcomings.errors("We now write every fortnight.", lines) == {}
    assert shortcomings.errors(None, []) == {}
    text, flagged = shortcomings.card_words(lines, "We now write every fortnight.")
    assert flagged and text.endswith("What was done: We now write every fortnight.")
    assert shortcomings.card_words([], None) == (
        "No s4 question was answered No on the reports it rests on.",
        False,
    )
    assert shortcomings.card_words(lines, None)[0].endswith("What was done: Nothing was recorded.")
