"""s6, police, always: a report of violence keeps its referral open, is chased to the
authorisers, and closes only with the referral or an authoriser's reason; through Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.scheduler import run_due
from cards.ids import ActionId
from dialogs.office_hours import next_opening
from storage.models import AuditEvent, Incident
from tests.e2e.test_journey_slack import time_reaches
from tests.e2e.test_slack_actions import report
from tests.e2e.test_slack_incident import assert_valid_message, assert_valid_view
from tests.slack_harness import SlackWorld


def buttons(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        e["action_id"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("type") == "button"
    ]


def police_blocks(home: dict[str, Any]) -> list[dict[str, Any]]:
    """The home's blocks from its police item to the buttons under it."""
    blocks = home["blocks"]
    at = next(
        (i for i, b in enumerate(blocks) if "police report still to record" in json.dumps(b)),
        None,
    )
    return [] if at is None else blocks[at : at + 2]


async def test_an_open_referral_is_escalated_and_an_authoriser_records_why_not(
    slack: SlackWorld,
) -> None:
    incident = await report(slack, violence="yes")
    ref = "SC-"
    # The manager's App Home lists it, offering only what the manager may do.
    listed = police_blocks(await slack.home("U0JO"))
    assert listed and ref in json.dumps(listed[0])
    assert buttons(listed) == [ActionId.RECORD_POLICE]
    # An authoriser sees it too, and may also record why it is not being made.
    assert buttons(police_blocks(await slack.home("U0BEA"))) == [
        ActionId.RECORD_POLICE,
        ActionId.RECORD_NOT_REFERRED,
    ]

    # Eleven days pass with nothing recorded: three reminders to Jo, then the authorisers.
    at = next_opening(datetime.now(UTC) + timedelta(days=11), slack.runtime.settings.policy)
    for _ in range(4):
        await run_due(slack.runtime, at=at)
    await time_reaches(slack, at)
    await slack.settle()
    to_jo = [p for p in slack.fake.posts_to("U0JO") if "Police report still needed" in p["text"]]
    to_bea = [p for p in slack.fake.posts_to("U0BEA") if "Police report still needed" in p["text"]]
    assert len(to_jo) == 4 and len(to_bea) == 1
    for post in to_jo + to_bea:
        assert_valid_message(post)
    assert to_bea[0]["text"].endswith("- escalated")
    assert "now comes to the authorisers" in json.dumps(to_bea[0]["blocks"])
    assert buttons(to_bea[0]["blocks"]) == [ActionId.RECORD_POLICE, ActionId.RECORD_NOT_REFERRED]
    assert all(buttons(p["blocks"]) == [ActionId.RECORD_POLICE] for p in to_jo)

    # The server holds the line too: a manager's forged click is refused.
    before = len(slack.fake.responses)
    await slack.click("U0JO", ActionId.RECORD_NOT_REFERRED, str(incident.id))
    refused = await slack.eventually(lambda: slack.fake.responses[before:], what="refusal")
    assert "Only an authoriser can record that a police report will not be made" in str(refused)

    # Bea records why, in words that try markup and a mention.
    view = await slack.form_behind("U0BEA", ActionId.RECORD_NOT_REFERRED, incident.id)
    assert_valid_view(view)
    reason = "Police attended <!channel> & took a *statement* on the day."
    _, ack = await slack.submit("U0BEA", view, {"not_referred_reason": reason})
    assert ack["response_action"] == "update", ack
    await slack.settle()
    async with slack.db.read() as session:
        stored = await session.get(Incident, incident.id)
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert stored is not None and stored.police_not_referred_reason == reason
    assert "police_referral.not_made" in actions
    card = json.dumps(slack.fake.calls_to("chat.update")[-1]["blocks"])
    assert "Not reported to the police, decided by Bea Khan" in card
    assert "&lt;!channel&gt; &amp; took" in card and "<!channel>" not in card

    # It is closed: off the homes, no more reminders, and a second decision is refused.
    assert police_blocks(await slack.home("U0JO")) == []
    assert police_blocks(await slack.home("U0BEA")) == []
    later = await run_due(slack.runtime, at=at + timedelta(days=30))
    assert [r for r in later if r.kind == "police_referral_nudge"] == []
    before = len(slack.fake.responses)
    await slack.click("U0ALEX", ActionId.RECORD_NOT_REFERRED, str(incident.id))
    again = await slack.eventually(lambda: slack.fake.responses[before:], what="refusal")
    assert "Bea Khan already recorded why" in str(again)
