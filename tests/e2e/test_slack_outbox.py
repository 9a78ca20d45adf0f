"""Outbox delivery: retried when Slack is busy or down, never lost, never sent twice."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from bot.delivery import deliver_due
from bot.slack.app import build_sender
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage, StaffMember, utcnow
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.slack_harness import SlackWorld, start_world


async def staff_id(slack: SlackWorld, email: str) -> int:
    async with slack.db.read() as session:
        member = (
            await session.execute(select(StaffMember).where(StaffMember.email == email))
        ).scalar_one()
        return member.id


async def enqueue_talk(slack: SlackWorld, *, to: str = "jo@example.org") -> int:
    recipient = await staff_id(slack, to)
    async with slack.db.write() as session:
        msg = await outbox.enqueue(
            session,
            recipient_id=recipient,
            template="talk_request",
            model={"staff_name": "Sam Patel"},
        )
    slack.runtime.outbox_wakeup.set()
    return msg.id


async def status_of(slack: SlackWorld, message_id: int) -> OutboxMessage:
    async with slack.db.read() as session:
        return await session.get(OutboxMessage, message_id)


async def test_429_with_retry_after_then_delivered_exactly_once(slack: SlackWorld) -> None:
    slack.fake.fail("chat.postMessage", status=429, retry_after=1, times=1)
    started = asyncio.get_running_loop().time()
    message_id = await enqueue_talk(slack)
    await slack.settle()
    elapsed = asyncio.get_running_loop().time() - started
    msg = await status_of(slack, message_id)
    assert msg.status == "sent" and msg.attempts == 2
    assert len(slack.fake.posts_to("U0JO")) == 1
    assert [c.method for c in slack.fake.calls if "postMessage" in c.method] == [
        "chat.postMessage!429",
        "chat.postMessage",
    ]
    assert elapsed >= 0.9  # Retry-After was honoured, not hammered


async def test_5xx_and_connection_errors_back_off_and_recover(slack: SlackWorld) -> None:
    slack.fake.fail("chat.postMessage", status=503, times=2)
    message_id = await enqueue_talk(slack)
    await slack.settle()
    msg = await status_of(slack, message_id)
    assert msg.status == "sent" and msg.attempts == 3
    assert len(slack.fake.posts_to("U0JO")) == 1


async def test_past_the_attempt_limit_marked_failed_and_admins_alerted(slack: SlackWorld) -> None:
    limit = slack.runtime.settings.policy.outbox_max_attempts
    # Fail every post to Jo; the admin's alert goes through.
    slack.fake.fail("chat.postMessage", status=500, times=limit)
    message_id = await enqueue_talk(slack)
    alert = await slack.eventually(
        lambda: slack.fake.posts_to("U0ADA"), timeout=30, what="admin alert"
    )
    msg = await status_of(slack, message_id)
    assert msg.status == "failed" and msg.attempts == limit
    assert "gave up after" in msg.last_error
    assert "could not deliver a message" in alert[0]["text"]
    assert "Jo Reed" in str(alert[0]["blocks"])
    assert slack.fake.posts_to("U0JO") == []


async def test_unreachable_manager_tells_reporter_and_admins(slack: SlackWorld) -> None:
    # Lee's manager Pat has no Slack id and Teams is not configured here.
    view = await open_incident_form(slack, "U0LEE")
    await slack.submit("U0LEE", view, answers())
    await slack.settle()
    lee = slack.fake.posts_to("U0LEE")
    assert any(
        "*Pat Teams* has not received the incident report card. They have no Slack"
        in str(p["blocks"])
        for p in lee
    )
    admin = slack.fake.posts_to("U0ADA")
    assert admin and "Pat Teams" in str(admin[0]["blocks"])
    async with slack.db.read() as session:
        failed = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.status == "failed")))
            .scalars()
            .all()
        )
    assert [m.template for m in failed] == ["incident_card"]


async def test_message_left_sending_by_a_crash_is_not_sent_twice(fresh_db_url: str) -> None:
    """A sender that posted and died before recording it: the restart finds the post."""
    slack, stop = await start_world(fresh_db_url)
    try:
        message_id = await enqueue_talk(slack)
        await slack.settle()
        assert len(slack.fake.posts_to("U0JO")) == 1
        # Rewind the row to how a crash mid-send leaves it: claimed, lease long expired.
        async with slack.db.write() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(
                    status="sending",
                    claimed_by="dead-worker",
                    claimed_at=utcnow() - outbox.LEASE * 2,
                )
            )
        sender = build_sender(slack.runtime)
        handled = await deliver_due(slack.runtime, [sender])
        assert handled == 1
        msg = await status_of(slack, message_id)
        assert msg.status == "sent"
        assert len(slack.fake.posts_to("U0JO")) == 1  # found by its metadata, not re-posted
        assert slack.fake.calls_to("conversations.history")
    finally:
        await stop()


async def test_pending_messages_survive_a_restart(fresh_db_url: str) -> None:
    """Written but never sent (the server stopped first): sent by the next server."""
    slack, stop = await start_world(fresh_db_url)
    await stop()
    db = Database(fresh_db_url)
    async with db.write() as session:
        jo = (
            await session.execute(select(StaffMember).where(StaffMember.email == "jo@example.org"))
        ).scalar_one()
        await outbox.enqueue(
            session, recipient_id=jo.id, template="talk_request", model={"staff_name": "Sam Patel"}
        )
    await db.dispose()
    slack, stop = await start_world(fresh_db_url)
    try:
        await slack.eventually(lambda: slack.fake.posts_to("U0JO"), what="delivery after restart")
        await slack.settle()
        assert len(slack.fake.posts_to("U0JO")) == 1
    finally:
        await stop()


async def test_a_message_mid_send_at_shutdown_is_recorded_as_sent(fresh_db_url: str) -> None:
    """Stopping the server lets delivery finish the pass it is in: the post Slack took is
    marked sent, so the next start neither re-posts it nor has to go looking for it."""
    slack, stop = await start_world(fresh_db_url)
    slack.fake.delays["chat.postMessage"] = 0.5
    message_id = await enqueue_talk(slack)
    await slack.eventually(
        lambda: "chat.postMessage" in slack.fake.arrived, what="the post to be in flight"
    )
    assert not slack.fake.posts_to("U0JO")  # Slack has not answered yet
    await stop()
    db = Database(fresh_db_url)
    try:
        async with db.read() as session:
            msg = await session.get(OutboxMessage, message_id)
            assert msg is not None
            assert (msg.status, msg.attempts) == ("sent", 1)
    finally:
        await db.dispose()
    assert len(slack.fake.posts_to("U0JO")) == 1


async def test_interactive_calls_retry_429_honouring_retry_after(slack: SlackWorld) -> None:
    """views.open must still open the form when Slack asks us to wait a moment."""
    slack.fake.fail("views.open", status=429, retry_after=1, times=1)
    await slack.command("U0SAM", "/incident")
    await slack.eventually(lambda: slack.fake.calls_to("views.open"), what="views.open retry")
    methods = [c.method for c in slack.fake.calls if c.method.startswith("views.open")]
    assert methods == ["views.open!429", "views.open"]
