"""A restriction's settings count only when it is chosen (issue 12 item 3): a stray value
in the field of one not ticked is neither checked nor kept, on every transport."""

from __future__ import annotations

from cards.ids import StrategyField as F
from dialogs.strategy.propose import only_chosen


def test_a_call_length_left_with_call_limits_unticked_is_ignored() -> None:
    values = {
        F.RESTRICTIONS: ["block_channels"],
        F.BLOCKED: ["social_media"],
        F.CALL_MINUTES: None,
        F.METHOD: "letter",
    }
    errors = {F.CALL_MINUTES: "Please give a number from 1 to 120."}
    kept, left = only_chosen(values, errors)
    assert left == {}
    assert kept[F.CALL_MINUTES] is None and kept[F.METHOD] is None
    assert kept[F.BLOCKED] == ["social_media"]


def test_a_chosen_restrictions_settings_are_still_checked() -> None:
    values = {F.RESTRICTIONS: ["call_limit"], F.CALL_MINUTES: None}
    errors = {F.CALL_MINUTES: "Please give a number from 1 to 120."}
    kept, left = only_chosen(values, errors)
    assert left == errors and kept == values
