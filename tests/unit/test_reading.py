"""The journey suites' reading checker (tests/journey/reading.py) catches what a person
would trip over, and passes what we mean to write. Issue 12, Build item 4."""

from __future__ import annotations

import pytest

from cards.ids import ActionId
from storage.models import StaffMember, StaffRole
from tests.journey.reading import (
    card_buttons,
    card_text,
    problems,
    read_mrkdwn,
    refused_buttons,
    slack_buttons,
    slack_text,
)


@pytest.mark.parametrize(
    "bad",
    [
        "['Dear Dennis Harlow,']",
        "[' - Phone calls limited to 15 minutes', ' - Single point of contact: Priya Shah']",
        "{'reference': 'SC-2026-00001'}",
        "Review date: None",
        "Violence: True.",
        "Hello {{ name }}",
        "{% if x %}",
        "Dear ${name}",
        "Case {reference} was opened",
        "Sent to %s",
        "<b>Approved</b> by Bea",
        "Tom &amp; Jerry",
        "Use \\*this\\*",
        "**Acknowledged** by Jo",
        "inciden\nt",
        "Last seen: undefined",
    ],
)
def test_what_a_reader_should_never_see_is_caught(bad: str) -> None:
    assert problems(bad), bad


@pytest.mark.parametrize(
    "good",
    [
        "Dear Dennis Harlow,",
        "Warnings (s6)\nNone given yet.",
        "Police referrals: None recorded; none required",
        "Sent to Alex Moreno and Bea Okafor. 1 breach, 2 disputes.",
        "SC-2026-00042: Morgan Example - phone calls limited to 10 minutes (s7.1)",
        "Is it safe? Yes: 50% of calls [approx.] end early",
    ],
)
def test_what_we_mean_to_write_passes(good: str) -> None:
    assert problems(good) == [], good


def test_slack_text_is_read_as_slack_shows_it() -> None:
    assert read_mrkdwn("Tom &amp; Jerry &lt;b&gt;") == "Tom & Jerry <b>"
    assert read_mrkdwn("see <https://e.example/x|the policy>") == "see the policy"
    message = {
        "text": "Fallback",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Case* SC-1"}},
            {
                "type": "actions",
                "block_id": "b",
                "elements": [
                    {"type": "button", "action_id": "incident_acknowledge", "value": "7",
                     "text": {"type": "plain_text", "text": "Acknowledge"}},
                ],
            },
        ],
    }  # fmt: skip
    text = slack_text(message)
    assert "Fallback" in text and "*Case* SC-1" in text and "Acknowledge" in text
    assert "incident_acknowledge" not in text and "7" not in text
    assert slack_buttons(message) == [("incident_acknowledge", "Acknowledge")]


def test_card_text_is_read_as_teams_shows_it() -> None:
    card = {
        "type": "AdaptiveCard",
        "body": [
            {"type": "TextBlock", "text": "**Case** SC\\-1 \\(s7\\)"},
            {"type": "FactSet", "facts": [{"title": "Incidents", "value": "2"}]},
        ],
        "actions": [
            {"type": "Action.Execute", "title": "Approve", "verb": "authorisation_approve"}
        ],
    }
    text = card_text(card)
    assert "Case SC-1 (s7)" in text and "Incidents: 2" in text and "Approve" in text
    assert problems(text) == []
    assert card_buttons(card) == [("authorisation_approve", "Approve")]


def _member(*roles: str) -> StaffMember:
    return StaffMember(
        name="Someone", email="someone@example.org", roles=[StaffRole(role=r) for r in roles]
    )


def test_buttons_the_registry_would_refuse_are_named() -> None:
    shown = [(ActionId.APPROVE.value, "Approve"), (ActionId.ACKNOWLEDGE.value, "Acknowledge")]
    staff = _member("staff")
    refused = refused_buttons(staff, shown)
    assert len(refused) == 1 and "Approve" in refused[0]
    assert refused_buttons(_member("authoriser", "manager"), shown) == []
    assert refused_buttons(staff, [("no_such_action", "Mystery")])
