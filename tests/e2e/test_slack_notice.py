"""Notice before effect on Slack (s6, s7): approved, then in force once the letter is sent.

Through the real bolt app over HTTP, on SQLite and PostgreSQL: until the letter is
recorded as sent, /case says "approved, awaiting notice", nobody is told to restrict
anything and no breach can be recorded; "Record letter sent" puts it in force.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cards.ids import ActionId
from storage.models import Authorisation, ContactStrategy, Letter
from tests.backends import both_backends
from tests.e2e.test_slack_monitoring import record_breach
from tests.monitoring_support import (
    Clock,
    buttons,
    case,
    clocked_slack,
    open_form,
    put_in_force,
    reference,
    refusal,
    report,
    strategy_letter,
    text_of,
)
from tests.notice_support import letter_cards, record_letter_sent
from tests.slack_harness import SlackWorld


@pytest.fixture
async def world(fresh_db_url: str) -> AsyncIterator[tuple[SlackWorld, Clock]]:
    async with clocked_slack(fresh_db_url) as made:
        yield made


async def status_of(slack: SlackWorld, strategy_id: int) -> str:
    async with slack.db.read() as session:
        found = await session.get(ContactStrategy, strategy_id)
        assert found is not None
        return found.status


@both_backends
async def test_approved_is_not_in_force_until_the_letter_is_sent(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(slack, send=False)
    assert strategy.status == "approved"
    ref = await reference(slack, strategy.person_id)
    # /case: approved, awaiting notice; nothing to keep to, nothing to record against.
    shown = await case(slack, "U0NIA", ref)
    text = text_of(shown)
    assert "Contact strategy approved, awaiting notice" in text
    assert "Do not restrict anything yet" in text and "Phone calls limited" in text
    assert "Contact strategy in force" not in text
    assert ActionId.RECORD_BREACH not in buttons(shown)
    # A breach is refused, by the button (forged) and by the command.
    assert "awaiting notice" in await refusal(
        slack, "U0NIA", ActionId.RECORD_BREACH, strategy.person_id
    )
    before = len(slack.fake.responses)
    await slack.command("U0NIA", "/breach", ref)
    said = await slack.eventually(lambda: slack.fake.responses[before:], what="/breach answer")
    assert "awaiting notice" in said[0]["text"]
    # Nobody has been told to restrict anything.
    assert not [p for p in slack.fake.posts_to("U0SAM") if "now in force" in p["text"]]
    # Only those who may record it: Nia (staff) did not write it and holds no such role.
    letter = await strategy_letter(slack, strategy.id)
    assert "Only a manager" in await refusal(slack, "U0NIA", ActionId.RECORD_LETTER_SENT, letter.id)

    # The App Home lists it too, with the button, until it is sent.
    home = await slack.home("U0JO")
    assert f"*{ref}* - a letter to send" in json.dumps(home["blocks"])
    assert str(letter.id) in [
        b["accessory"]["value"]
        for b in home["blocks"]
        if b.get("accessory", {}).get("action_id") == ActionId.RECORD_LETTER_SENT
    ]

    ack = await record_letter_sent(slack, "U0JO", letter.id, method="email")
    assert ack["response_action"] == "update", ack
    assert await status_of(slack, strategy.id) == "active"
    assert "a letter to send" not in json.dumps((await slack.home("U0JO"))["blocks"])
    shown = await case(slack, "U0NIA", ref)
    assert "Contact strategy in force" in text_of(shown)
    assert "awaiting notice" not in text_of(shown)
    assert ActionId.RECORD_BREACH in buttons(shown)
    await slack.eventually(
        lambda: [p for p in slack.fake.posts_to("U0SAM") if "now in force" in p["text"]],
        what="the single point of contact told",
    )
    # Contact before it took effect cannot breach it; contact since can.
    early = await record_breach(slack, "U0NIA", ref, datetime.now(UTC) - timedelta(minutes=5))
    assert "came into force on" in early["errors"]["breach_occurred_at"]
    await asyncio.sleep(1.1)
    breach = await record_breach(slack, "U0NIA", ref, datetime.now(UTC))
    assert breach["response_action"] == "update", breach
    # The first sending record stands: a second press is told who recorded it.
    again = await refusal(slack, "U0ALEX", ActionId.RECORD_LETTER_SENT, letter.id)
    assert "already recorded: Sent by email on" in again and "Jo Reed" in again
    async with slack.db.read() as session:
        stored = await session.get(Letter, letter.id)
    assert stored is not None and stored.sent_method == "email"


async def test_a_letter_cannot_be_recorded_as_sent_tomorrow(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(slack, send=False)
    letter = await strategy_letter(slack, strategy.id)
    ack = await record_letter_sent(
        slack, "U0JO", letter.id, on=datetime.now(UTC).date() + timedelta(days=2)
    )
    assert ack["response_action"] == "errors"
    assert "future" in ack["errors"]["sent_on"]
    assert await status_of(slack, strategy.id) == "approved"


async def test_approve_from_a_date_on_the_card(world: tuple[SlackWorld, Clock]) -> None:
    slack, _ = world
    incident = await report(slack)
    from tests.e2e.test_slack_strategy import open_proposal, proposal, spoc_value

    view = await open_proposal(slack, "U0JO", incident.id)
    answers: dict[str, Any] = proposal(incidents=[str(incident.id)])
    answers["spoc"] = spoc_value(view, "Sam Patel")
    _, ack = await slack.submit("U0JO", view, answers)
    assert ack["response_action"] == "update", ack
    await slack.settle()
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    card = next(
        p for p in slack.fake.posts_to("U0ALEX") if "Contact strategy for approval" in p["text"]
    )
    assert buttons(card)[ActionId.APPROVE_FROM] == str(auth.id)
    form = await open_form(slack, "U0ALEX", ActionId.APPROVE_FROM, auth.id)
    assert form["callback_id"] == "approve_from"
    today = datetime.now(UTC).date()
    _, ack = await slack.submit("U0ALEX", form, {"takes_effect_on": today.isoformat()})
    assert ack["response_action"] == "errors" and "later day" in ack["errors"]["takes_effect_on"]
    start = today + timedelta(days=3)
    _, ack = await slack.submit("U0ALEX", form, {"takes_effect_on": start.isoformat()})
    assert ack["response_action"] == "update", ack
    await slack.settle()
    async with slack.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
    assert strategy.status == "approved" and strategy.takes_effect_on == start
    notice = [p for p in slack.fake.posts_to("U0JO") if "was approved" in p["text"]]
    assert f"not before {start:%d %B %Y}" in json.dumps(notice[0]["blocks"])
    letter = await strategy_letter(slack, strategy.id)
    assert letter_cards(slack, "U0JO", letter.id)
    ack = await record_letter_sent(slack, "U0JO", letter.id)
    assert f"takes effect on {start:%d %B %Y}" in json.dumps(ack["view"])
    assert await status_of(slack, strategy.id) == "approved"  # its day has not come
