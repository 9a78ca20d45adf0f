"""Helpers for the monitoring tests (s7.1-s7.3): a strategy in force, forms, replies.

Everything goes through the real bolt app over HTTP, as a member of staff would click;
the only thing a test controls directly is the server's clock.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select

from bot.settings import StaffEntry
from cards.ids import ActionId
from storage import staff as staff_repo
from storage.models import (
    Authorisation,
    ContactStrategy,
    Incident,
    Letter,
    OutboxMessage,
    Person,
)
from tests.e2e.test_slack_incident import answers, assert_valid_message, assert_valid_view
from tests.e2e.test_slack_strategy import open_proposal, proposal, spoc_value
from tests.notice_support import record_letter_sent
from tests.slack_harness import DIRECTORY, SlackWorld, start_world
from tests.world import eventually

T = TypeVar("T")


@dataclass
class Clock:
    """The server's clock, running, but set back by `behind` to act in the past."""

    behind: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) - self.behind


async def clocked_world(db_url: str) -> tuple[SlackWorld, Clock, Callable[[], Any]]:
    clock = Clock()
    world, stop = await start_world(db_url, clock=clock)
    return world, clock, stop


@asynccontextmanager
async def clocked_slack(db_url: str) -> AsyncIterator[tuple[SlackWorld, Clock]]:
    """A Slack world with a settable clock; everything it sent is checked valid at the end."""
    slack, clock, stop = await clocked_world(db_url)
    try:
        yield slack, clock
        assert_everything_valid(slack)
    finally:
        await stop()


async def wait_for(check: Callable[[], Awaitable[T]], *, what: str, timeout: float = 10) -> T:
    return await eventually(check, what=what, timeout=timeout)


async def report(slack: SlackWorld, **overrides: Any) -> Incident:
    """Sam reports an incident; waits for this form, not an earlier one, to open."""
    view = await command_form(slack, "U0SAM", "/incident", "")
    _, ack = await slack.submit("U0SAM", view, answers(**overrides))
    assert ack["response_action"] == "update", ack
    await slack.settle()
    async with slack.db.read() as session:
        return (await session.execute(select(Incident).order_by(Incident.id.desc()))).scalar()


async def put_in_force(
    slack: SlackWorld,
    *,
    at: datetime | None = None,
    proposer: str = "U0JO",
    approver: str = "U0BEA",
    reported: dict[str, Any] | None = None,
    send: bool = True,
    **overrides: Any,
) -> ContactStrategy:
    """Report an incident (`reported`: its answers), propose a strategy (SPOC Sam Patel by
    default), approve it, and record its letter sent (s6, s7: in force only once the
    person has been told)."""
    at = at or datetime.now(UTC)
    incident = await report(
        slack, occurred_at=int((at - timedelta(hours=1)).timestamp()), **(reported or {})
    )
    view = await open_proposal(slack, proposer, incident.id)
    answers = proposal(review_date=(at.date() + timedelta(days=90)).isoformat(), **overrides)
    if "spoc" in answers["restrictions"] and "spoc" not in overrides:
        answers["spoc"] = spoc_value(view, "Sam Patel")
    answers["incidents"] = [str(incident.id)]
    _, ack = await slack.submit(proposer, view, answers)
    assert ack["response_action"] == "update", ack
    async with slack.db.read() as session:
        auth = (
            await session.execute(
                select(Authorisation)
                .where(Authorisation.status == "pending")
                .order_by(Authorisation.id.desc())
            )
        ).scalar()
    await slack.click(approver, ActionId.APPROVE, str(auth.id))
    approved = await wait_for(
        lambda: strategy_of(slack, auth.strategy_id, status="approved"), what="approval"
    )
    await slack.settle()
    if not send:
        return approved
    letter = await strategy_letter(slack, auth.strategy_id)
    # The letter's day is the office's, not UTC's (they differ near midnight in summer).
    zone = slack.runtime.settings.policy.zone
    await record_letter_sent(slack, proposer, letter.id, on=at.astimezone(zone).date())
    strategy = await wait_for(lambda: strategy_of(slack, auth.strategy_id), what="in force")
    await slack.settle()
    return strategy


async def strategy_letter(slack: SlackWorld, strategy_id: int) -> Letter:
    """The letter telling the person about a strategy (or an alteration)."""
    async with slack.db.read() as session:
        letter = (
            await session.execute(
                select(Letter)
                .where(Letter.strategy_id == strategy_id, Letter.kind == "strategy")
                .order_by(Letter.id.desc())
            )
        ).scalar()
    assert letter is not None
    return letter


async def strategy_of(
    slack: SlackWorld, strategy_id: int, *, status: str = "active"
) -> ContactStrategy | None:
    async with slack.db.read() as session:
        found = await session.get(ContactStrategy, strategy_id)
        return found if found is not None and found.status == status else None


async def reference(slack: SlackWorld, person_id: int) -> str:
    async with slack.db.read() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        return person.reference


async def open_form(slack: SlackWorld, user: str, action_id: str, value: Any) -> dict[str, Any]:
    view = await slack.form_behind(user, action_id, value)
    assert_valid_view(view)
    return view


async def refusal(slack: SlackWorld, user: str, action_id: str, value: Any) -> str:
    """Click, expect a private reply and no form."""
    views, replies = len(slack.fake.calls_to("views.open")), len(slack.fake.responses)
    await slack.click(user, action_id, str(value))
    reply = await slack.eventually(lambda: slack.fake.responses[replies:], what="a reply")
    assert len(slack.fake.calls_to("views.open")) == views
    return reply[0]["text"]


async def command_form(slack: SlackWorld, user: str, command: str, text: str) -> dict[str, Any]:
    view = await slack.form_for(user, command, text)
    assert_valid_view(view)
    return view


async def case(slack: SlackWorld, user: str, ref: str) -> dict[str, Any]:
    before = len(slack.fake.responses)
    await slack.command(user, "/case", ref)
    reply = await slack.eventually(
        lambda: [r for r in slack.fake.responses[before:] if r["text"].startswith("Case")],
        what="/case",
    )
    assert_valid_message(reply[0])
    return reply[0]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """{action_id: value} of every button in a message (in actions blocks and beside
    sections)."""
    found = {
        e["action_id"]: e["value"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("type") == "button"
    }
    for b in message["blocks"]:
        accessory = b.get("accessory") or {}
        if accessory.get("type") == "button":
            found[accessory["action_id"]] = accessory["value"]
    return found


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"], ensure_ascii=False)


def posts(slack: SlackWorld, user: str, marker: str) -> list[dict[str, Any]]:
    return [p for p in slack.fake.posts_to(user) if marker in p["text"]]


def assert_everything_valid(slack: SlackWorld) -> None:
    """Every message, update, reply and view the bot sent passes slack_sdk's models."""
    for method in ("chat.postMessage", "chat.update"):
        for payload in slack.fake.calls_to(method):
            assert_valid_message(payload)
    for reply in slack.fake.responses:
        assert_valid_message(reply)
    for opened in slack.fake.calls_to("views.open"):
        assert_valid_view(opened["view"])


async def letters(slack: SlackWorld, kind: str) -> list[Letter]:
    async with slack.db.read() as session:
        return list(
            (await session.execute(select(Letter).where(Letter.kind == kind).order_by(Letter.id)))
            .scalars()
            .all()
        )


async def letter_files_to(slack: SlackWorld, user_id: str) -> list[OutboxMessage]:
    """Letters delivered as files to one member of staff (uploads to their DM)."""
    async with slack.db.read() as session:
        rows = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "file").order_by(OutboxMessage.id)
            )
        ).scalars()
        wanted = []
        for row in rows:
            member = await staff_repo.get_by_id(session, staff_id=row.recipient_id)
            if member is not None and member.slack_user_id == user_id:
                wanted.append(row)
        return wanted


def flat(text: str) -> str:
    return " ".join(text.split())


async def resync(slack: SlackWorld, changes: dict[str, list[str]], extra: list[StaffEntry]) -> None:
    """An administrator edits the directory: new roles for some, new people."""
    entries = [
        e.model_copy(update={"roles": changes[e.email]}) if e.email in changes else e
        for e in DIRECTORY
    ] + extra
    async with slack.db.write() as session:
        await staff_repo.sync_directory(session, entries=entries)
