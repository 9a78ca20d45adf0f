"""Shared wording (cards/wording.py) and the /case police line: names joined with "and",
real plurals, and whether a police referral is still required (s6). Issue 12 item 10."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cards.render import json_env
from cards.wording import count, join_names, plural
from dialogs.case.summary import police_line
from dialogs.incident.rules import WAITING_DAYS, WAITING_MEANS, awaits_acknowledgement


@pytest.mark.parametrize(
    ("names", "said"),
    [
        ([], ""),
        (["Alex Moreno"], "Alex Moreno"),
        (["Alex Moreno", "Bea Okafor"], "Alex Moreno and Bea Okafor"),
        (["A", "B", "C"], "A, B and C"),
        (["A", "", "B"], "A and B"),
    ],
)
def test_names_are_joined_as_a_sentence_says_them(names: list[str], said: str) -> None:
    assert join_names(names) == said


def test_names_can_be_offered_as_alternatives() -> None:
    assert join_names(["Ada Brooks", "Tom Lee"], conjunction="or") == "Ada Brooks or Tom Lee"


@pytest.mark.parametrize(
    ("word", "many"),
    [("breach", "breaches"), ("dispute", "disputes"), ("contact", "contacts"),
     ("referral", "referrals"), ("policy", "policies"), ("day", "days"),
     ("person", "people"), ("box", "boxes")],
)  # fmt: skip
def test_real_plurals(word: str, many: str) -> None:
    assert plural(word) == many


def test_counts_use_the_singular_only_for_one() -> None:
    assert count(1, "breach") == "1 breach"
    assert count(0, "breach") == "0 breaches"
    assert count(2, "dispute") == "2 disputes"


def test_police_line_says_whether_a_referral_is_required() -> None:
    assert police_line(0, 0) == "None recorded; none required"
    assert police_line(1, 0) == "1 referral recorded; none required"
    line = police_line(0, 1)
    assert line.startswith("None recorded; 1 incident with violence") and "(s6)" in line
    assert police_line(2, 2).startswith("2 referrals recorded; 2 incidents")


def test_templates_join_names_through_the_shared_filter() -> None:
    template = json_env().from_string("{{ names|join_names }} / {{ 3|counted('breach') }}")
    assert template.render(names=["Alex Moreno", "Bea Okafor"]) == (
        "Alex Moreno and Bea Okafor / 3 breaches"
    )


def test_an_incident_waits_on_someones_list_for_a_defined_time() -> None:
    """Issue 12 item 8: `waiting` lists an unacknowledged report for WAITING_DAYS, and not
    once a strategy is in force for the person; the card says so in WAITING_MEANS."""
    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    recent = now - timedelta(days=WAITING_DAYS)
    assert awaits_acknowledgement(recent, now, strategy_in_force=False)
    assert not awaits_acknowledgement(recent, now, strategy_in_force=True)
    assert not awaits_acknowledgement(recent - timedelta(hours=1), now, strategy_in_force=False)
    assert f"last {WAITING_DAYS} days" in WAITING_MEANS


def test_confirmations_name_people_as_a_sentence_does() -> None:
    """Issue 12, item 10: "I've alerted Jo, Alex and Bea", never a bare comma list."""
    from dialogs.breach.rules import confirmation

    said = confirmation("SC-1", ["Jo", "Alex", "Bea"], 1, threshold_reached=False, window_days=30)
    assert "I've alerted Jo, Alex and Bea." in said
