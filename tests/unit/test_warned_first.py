"""s6, "warned first": the rule and its words (dialogs/strategy/warned.py), without I/O.

The flows that read the file (the form, the refusal, the authoriser's card) are driven
through Slack and Teams in tests/e2e/test_slack_strategy.py and test_teams_strategy.py.
"""

from __future__ import annotations

from datetime import date

from cards.ids import StrategyField as F
from dialogs.strategy import warned
from storage.models import Warning

PROPOSED = date(2026, 11, 20)


def warning(kind: str, given_on: date) -> Warning:
    return Warning(kind=kind, given_on=given_on, behaviour_to_change="Stop shouting.")


def test_yes_is_refused_with_nothing_on_file() -> None:
    errors = warned.errors("yes", [])
    assert set(errors) == {F.WARNING_GIVEN}
    assert "No warning to them is on file as given" in errors[F.WARNING_GIVEN]
    assert "(s6)" in errors[F.WARNING_GIVEN]


def test_yes_with_a_warning_on_file_and_no_are_accepted() -> None:
    assert warned.errors("yes", [warning("verbal", date(2026, 11, 3))]) == {}
    assert warned.errors("no", []) == {}
    assert warned.errors(None, []) == {}


def test_the_form_says_what_the_answer_is_checked_against() -> None:
    assert warned.on_file_words([]).startswith("Warnings on file (s6): none.")
    words = warned.on_file_words(
        [warning("verbal", date(2026, 11, 3)), warning("written", date(2026, 11, 10))]
    )
    assert words == (
        "Warnings on file as given (s6): verbal warning, 03 Nov 2026; written warning, 10 Nov 2026."
    )


def test_the_card_names_the_warnings_behind_a_yes() -> None:
    verdict = warned.verdict(True, "", [warning("verbal", date(2026, 11, 3))], by=PROPOSED)
    assert verdict == warned.Verdict(
        "Warned first. On file as given: verbal warning, 03 Nov 2026.", False
    )


def test_a_yes_the_file_does_not_bear_out_is_flagged() -> None:
    """A row from before the check, or a warning given only after the proposal."""
    for given in ([], [warning("verbal", date(2026, 11, 21))]):
        verdict = warned.verdict(True, "", given, by=PROPOSED)
        assert verdict.flagged
        assert "no warning is on file as given before it was made" in verdict.text


def test_no_warning_shows_the_reason_flagged() -> None:
    verdict = warned.verdict(False, "Threatened staff with a knife.", [], by=PROPOSED)
    assert verdict == warned.Verdict(
        "Not warned first. The proposer's reason: Threatened staff with a knife.", True
    )
    assert warned.verdict(False, "  ", [], by=PROPOSED).text.endswith("none given.")


def test_a_warning_in_a_list_keeps_its_month_capitalised() -> None:
    w = warning("written", date(2026, 12, 5))
    assert warned.described(w) == "written warning, 05 Dec 2026"
    assert warned.described(w, capital=True) == "Written warning, 05 Dec 2026"
