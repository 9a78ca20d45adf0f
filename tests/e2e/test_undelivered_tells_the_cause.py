"""A message that does not arrive is never silent: whoever caused it hears what did not
happen and what to do instead, on their own platform (issue 12 items 12 and 13).

Teams answers 403 when someone has blocked the bot; Slack refuses a post with an error;
and a message that keeps failing gives up after `outbox_max_attempts`. In each case the
person whose action sent the message (the reporter of an incident, the member of staff
who asked to talk) is told, and what they were told at the time never claimed that it
had already arrived ("Your manager has been told"). Asserted on the words they read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cards.ids import ActionId
from storage.models import OutboxMessage
from tests.e2e.test_slack_actions import checkin_id
from tests.e2e.test_slack_actions import report as slack_report
from tests.e2e.test_teams_actions import checkin_card, reported
from tests.fake_slack import dm
from tests.slack_harness import SlackWorld
from tests.teams_harness import ADA, JO, SAM, TeamsWorld, conversation, report, visible

INCIDENT_INSTEAD = (
    "Your report is saved, but please tell them about it yourself (in person, by phone or "
    "by email) so they can act on it. I'm letting the administrators know too."
)
TALK_INSTEAD = (
    "If you'd still like to talk, please contact them another way, or speak to another "
    "manager. I'm letting the administrators know too."
)
NEVER_SAID = ("has been told", "I've told", "I've asked")


async def statuses(db: Any, template: str) -> list[str]:
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.status).where(OutboxMessage.template == template)
        )
        return list(rows.scalars())


def teams_notices(teams: TeamsWorld, user: str) -> list[str]:
    return [
        visible(c.card)
        for c in teams.fake.sends_to(conversation(user))
        if c.card["fallbackText"].startswith("I couldn't reach")
    ]


def slack_said(slack: SlackWorld, user: str) -> list[str]:
    return [
        " ".join(b["text"]["text"] for b in p["blocks"] if b["type"] == "section")
        for p in slack.fake.posts_to(user)
    ]


# -- Teams ---------------------------------------------------------------------------


async def test_teams_a_manager_who_blocked_the_bot_the_reporter_is_told(
    teams: TeamsWorld,
) -> None:
    await teams.say(JO, "hi")
    await teams.say(ADA, "hi")
    teams.fake.fail("send", status=403, conversation_id=conversation(JO))
    confirmation = visible(await report(teams))
    assert "I'm sending it to your manager now" in confirmation
    assert "if either can't be delivered, I'll tell you there" in confirmation
    await teams.settle()
    assert await statuses(teams.db, "incident_card") == ["failed"]

    (notice,) = teams_notices(teams, SAM)
    assert notice == (
        "⚠️ Jo Reed has not received the incident report card. Teams refused it, which it "
        "does when someone has blocked or removed safecontact. " + INCIDENT_INSTEAD
    )
    receipt = next(
        visible(c.card)
        for c in teams.fake.sends_to(conversation(SAM))
        if c.card["fallbackText"].startswith("Your report is saved")
    )
    assert "I'm sending it to" in receipt and "I'll tell you here if it can't be delivered" in (
        receipt
    )
    for said in (confirmation, receipt):
        assert not any(claim in said for claim in NEVER_SAID), said
    (alert,) = teams.fake.sends_to(conversation(ADA))
    assert "could not deliver a message to Jo Reed" in visible(alert.card)
    assert "403" in visible(alert.card), "the admins get the technical reason"


async def test_teams_a_request_to_talk_that_gives_up_is_not_silent(teams: TeamsWorld) -> None:
    await reported(teams)
    checkin = await checkin_card(teams)
    limit = teams.runtime.settings.policy.outbox_max_attempts
    teams.fake.fail("send", status=503, times=limit, conversation_id=conversation(JO))
    _status, answer = await teams.click(SAM, checkin, "I'd like to talk to my manager")
    said = visible(answer["value"])
    assert "I'm asking Jo Reed to get in touch with you" in said
    assert "If my message can't reach them, I'll tell you here." in said
    assert not any(claim in said for claim in NEVER_SAID), said

    (notice,) = await teams.eventually(
        lambda: teams_notices(teams, SAM), timeout=60, what="Sam is told"
    )
    assert notice == (
        f"⚠️ Jo Reed has not received a request to talk. I tried {limit} times and Teams "
        "kept failing, so I have stopped. " + TALK_INSTEAD
    )
    assert await statuses(teams.db, "talk_request") == ["failed"]


# -- Slack ---------------------------------------------------------------------------


async def test_slack_a_refused_manager_card_the_reporter_is_told(slack: SlackWorld) -> None:
    slack.fake.fail("chat.postMessage", status=200, error="account_inactive", channel=dm("U0JO"))
    await slack_report(slack)
    await slack.settle()
    assert await statuses(slack.db, "incident_card") == ["failed"]
    sam = slack_said(slack, "U0SAM")
    notice = next(s for s in sam if "has not received" in s)
    assert notice == (
        ":warning: *Jo Reed* has not received the incident report card. Slack says their "
        "account is deactivated. " + INCIDENT_INSTEAD
    )
    receipt = next(s for s in sam if "is saved as" in s)
    assert "I'm sending it to" in receipt
    assert not any(claim in s for s in sam for claim in NEVER_SAID), sam
    alert = " ".join(slack_said(slack, "U0ADA"))
    assert "Jo Reed" in alert and "account_inactive" in alert


async def test_slack_a_request_to_talk_that_gives_up_is_not_silent(slack: SlackWorld) -> None:
    await slack_report(slack)
    limit = slack.runtime.settings.policy.outbox_max_attempts
    slack.fake.fail("chat.postMessage", status=500, times=limit, channel=dm("U0JO"))
    await slack.click("U0SAM", ActionId.WELFARE_TALK, checkin_id(slack))
    reply = str((await slack.eventually(lambda: slack.fake.responses, what="reply"))[0]["blocks"])
    assert "If my message can't reach them, I'll tell you here." in reply
    notices = await slack.eventually(
        lambda: [s for s in slack_said(slack, "U0SAM") if "has not received" in s],
        timeout=60,
        what="Sam is told",
    )
    assert notices == [
        f":warning: *Jo Reed* has not received a request to talk. I tried {limit} times and "
        "Slack kept failing, so I have stopped. " + TALK_INSTEAD
    ]
    assert await statuses(slack.db, "talk_request") == ["failed"]
