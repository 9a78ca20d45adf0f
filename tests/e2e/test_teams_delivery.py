"""Proactive delivery to Teams through the outbox: retries, the unreachable, and Slack.

A 429 waits for its Retry-After and a 5xx backs off, and the message then arrives once.
Someone Teams can't reach (no stored conversation reference) is reported to whoever
caused the message and to the admins. A Slack user's manager who is only on Teams gets
the card in Teams.
"""

from __future__ import annotations

import aiohttp
from sqlalchemy import select

from bot.settings import Settings
from cards.ids import ActionId
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage, StaffMember
from tests.fake_connector import FakeConnector
from tests.fake_slack import FakeSlack, dm
from tests.slack_harness import DIRECTORY as SLACK_DIRECTORY
from tests.slack_harness import SECRET, SlackWorld
from tests.teams_harness import (
    ADA,
    JO,
    SAM,
    TeamsWorld,
    answers,
    assert_valid_card,
    buttons,
    conversation,
    report,
    start_server,
    visible,
)


async def card_rows(teams: TeamsWorld, template: str) -> list[OutboxMessage]:
    async with teams.db.read() as session:
        rows = await session.execute(
            select(OutboxMessage).where(OutboxMessage.template == template)
        )
        return list(rows.scalars())


async def test_429_with_retry_after_then_200_is_delivered_exactly_once(teams: TeamsWorld) -> None:
    await teams.say(JO, "hi")
    teams.fake.fail("send", status=429, retry_after=1, conversation_id=conversation(JO))
    await report(teams)
    await teams.settle()
    calls = [
        c for c in teams.fake.calls if c.conversation_id == conversation(JO) and c.route == "send"
    ]
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 0.9  # Retry-After honoured
    assert len(teams.fake.sends_to(conversation(JO))) == 1
    (row,) = await card_rows(teams, "incident_card")
    assert row.status == "sent" and row.attempts == 2 and row.platform == "teams"


async def test_5xx_backs_off_then_delivers_once(teams: TeamsWorld) -> None:
    await teams.say(JO, "hi")
    teams.fake.fail("send", status=503, times=2, conversation_id=conversation(JO))
    await report(teams)
    await teams.settle()
    statuses = [
        c.status
        for c in teams.fake.calls
        if c.conversation_id == conversation(JO) and c.route == "send"
    ]
    assert statuses[:2] == [503, 503] and len(statuses) == 3
    assert len(teams.fake.sends_to(conversation(JO))) == 1
    (row,) = await card_rows(teams, "incident_card")
    assert row.status == "sent" and row.attempts == 3


async def test_a_manager_without_a_conversation_is_reported_not_dropped(teams: TeamsWorld) -> None:
    await teams.say(ADA, "hi")  # the admin has the app; Jo, the manager, never opened it
    await report(teams)
    await teams.settle()
    assert teams.fake.sends_to(conversation(JO)) == []
    (row,) = await card_rows(teams, "incident_card")
    assert row.status == "failed"
    told = [c.card for c in teams.fake.sends_to(conversation(SAM))]
    unreachable = next(c for c in told if c["fallbackText"] == "I couldn't reach Jo Reed")
    assert "Jo Reed has not received the incident report card. They have no Teams account" in (
        visible(unreachable)
    )
    (alert,) = teams.fake.sends_to(conversation(ADA))
    assert "could not deliver a message to Jo Reed (the incident report card)" in visible(
        alert.card
    )

    # Once Jo opens the app, the next report reaches them.
    await teams.say(JO, "hi")
    await report(teams)
    await teams.settle()
    assert len(teams.fake.sends_to(conversation(JO))) == 1


async def test_slack_reporter_with_a_teams_only_manager(fresh_db_url: str) -> None:
    pat = "aad-pat"
    directory = [
        e.model_copy(update={"teams_user_id": pat}) if e.email == "pat@example.org" else e
        for e in SLACK_DIRECTORY
    ]
    fake_slack, connector = FakeSlack(), FakeConnector()
    api_url = await fake_slack.start()
    await connector.start()
    settings = Settings(
        database_url=fresh_db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        staff=directory,
    )
    url, runtime, cleanup = await start_server(settings, dev=True)
    http = aiohttp.ClientSession()
    db: Database = runtime.db
    slack = SlackWorld(url, fake_slack, db, runtime, http)
    teams = TeamsWorld(url, connector, db, runtime, http)
    try:
        await teams.say(pat, "hello")  # Pat has the Teams app
        await slack.command("U0LEE", "/incident")
        view = await slack.eventually(
            lambda: fake_slack.calls_to("views.open") and slack.last_view()
        )
        status, ack = await slack.submit("U0LEE", view, answers())
        assert status == 200 and ack["response_action"] == "update"
        await slack.settle()

        # Pat's card arrives in Teams, proactively, and nowhere in Slack.
        (sent,) = connector.sends_to(conversation(pat))
        assert_valid_card(sent.card)
        assert "Reported by: Lee Grant" in visible(sent.card)
        assert next(b["verb"] for b in buttons(sent.card)) == ActionId.ACKNOWLEDGE
        slack_channels = {c["channel"] for c in fake_slack.calls_to("chat.postMessage")}
        assert slack_channels == {dm("U0LEE")}  # Lee's receipt and check-in, in Slack

        # Pat acts in Teams; the card there is updated in place.
        _status, answer = await teams.click(pat, sent.card, "Acknowledge")
        assert answer["value"].startswith("Acknowledged SC-")
        await slack.settle()
        (update,) = connector.updates_in(conversation(pat))
        assert update.activity_id == sent.activity_id
        assert "Acknowledged by Pat Teams at" in visible(update.card)
        teams.assert_all_cards_valid()
    finally:
        await http.close()
        await cleanup()
        await connector.stop()
        await fake_slack.stop()


async def test_a_message_with_no_teams_card_fails_at_once_and_tells_the_admins(
    teams: TeamsWorld,
) -> None:
    """Flows built for Slack first: a Teams-only recipient is not retried eight times."""
    await teams.say(JO, "hi")
    await teams.say(ADA, "hi")
    async with teams.db.write() as session:
        jo = (
            await session.execute(select(StaffMember).where(StaffMember.name == "Jo Reed"))
        ).scalar_one()
        await outbox.enqueue(session, recipient_id=jo.id, template="slack_only_card", model={})
    teams.runtime.outbox_wakeup.set()
    await teams.settle()
    (row,) = await card_rows(teams, "slack_only_card")
    assert row.status == "failed" and row.attempts == 1
    assert row.last_error == "safecontact has no Teams card for 'slack_only_card' yet"
    (alert,) = teams.fake.sends_to(conversation(ADA))
    assert "could not deliver a message to Jo Reed" in visible(alert.card)
    assert teams.fake.sends_to(conversation(JO)) == []


async def test_oversight_report_files_reach_teams_as_an_image_and_a_pointer(
    teams: TeamsWorld,
) -> None:
    """The monthly report's chart shows inline in Teams; the CSV says where to get it."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from bot.scheduler import run_due
    from dialogs.jobs.payloads import JobKind
    from dialogs.records.months import Month
    from storage.models import OutboxMessage, StaffMember, utcnow
    from tests.teams_harness import ALEX, conversation

    await teams.install(ALEX)
    zone = teams.runtime.settings.policy.zone
    this = Month.of(datetime.now(UTC), zone)
    first = datetime.combine(this.shift(1).start(zone).date(), datetime.min.time(), tzinfo=zone)
    runs = {r.kind: r for r in await run_due(teams.runtime, at=first + timedelta(hours=8))}
    assert runs[JobKind.OVERSIGHT_REPORT].outcome == "done", runs
    async with teams.db.write() as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(next_attempt_at=utcnow())
        )
    teams.runtime.outbox_wakeup.set()
    await teams.settle()
    sent = [c.body for c in teams.fake.sends_to(conversation(ALEX))]
    images = [
        a
        for body in sent
        for a in body.get("attachments") or []
        if a.get("contentType") == "image/png"
    ]
    assert len(images) == 1
    assert images[0]["contentUrl"].startswith("data:image/png;base64,iVBORw0KGgo")
    assert any("safecontact report --month" in str(body) for body in sent)
    async with teams.db.read() as s:
        alex = (
            await s.execute(select(StaffMember).where(StaffMember.teams_user_id == ALEX))
        ).scalar_one()
        mine = (
            (
                await s.execute(
                    select(OutboxMessage).where(
                        OutboxMessage.recipient_id == alex.id,
                        OutboxMessage.template.in_(("report_file", "oversight_report")),
                    )
                )
            )
            .scalars()
            .all()
        )
    assert len(mine) == 3 and {m.status for m in mine} == {"sent"}
