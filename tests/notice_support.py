"""Helpers for notice before effect (s6, s7): the letter's card, and recording it sent.

Through the real bolt app over HTTP, as a member of staff would click.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from cards.ids import ActionId
from tests.e2e.test_slack_incident import assert_valid_view
from tests.slack_harness import SlackWorld


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """{action_id: value} of every button in a message."""
    return {
        e["action_id"]: e["value"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("type") == "button"
    }


def letter_cards(slack: SlackWorld, user: str, letter_id: int) -> list[dict[str, Any]]:
    """The cards with "Record letter sent" for one letter, posted to a member of staff."""
    return [
        p
        for p in slack.fake.posts_to(user)
        if buttons(p).get(ActionId.RECORD_LETTER_SENT) == str(letter_id)
    ]


async def record_letter_sent(
    slack: SlackWorld,
    user: str,
    letter_id: int,
    *,
    method: str = "post",
    on: date | None = None,
) -> dict[str, Any]:
    """Press "Record letter sent" on the letter's card and submit the form; the ack."""
    await slack.eventually(lambda: letter_cards(slack, user, letter_id), what="the letter card")
    view = await slack.form_behind(user, ActionId.RECORD_LETTER_SENT, letter_id)
    assert_valid_view(view)
    assert view["callback_id"] == "letter_sent"
    sent_on = (on or datetime.now(slack.runtime.settings.policy.zone).date()).isoformat()
    _, ack = await slack.submit(user, view, {"sent_method": method, "sent_on": sent_on})
    await slack.settle()
    return ack
