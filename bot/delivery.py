"""The outbox delivery loop: platform-neutral, so Slack and Teams senders plug into one loop.

Each pass claims due messages (a lease, SKIP LOCKED on PostgreSQL), sends them outside
any transaction, then records the outcome. A 429 waits for its Retry-After; a 5xx or a
dropped connection backs off; past the attempt limit the message is marked failed. A
message that fails for good (nobody can reach the person, the platform refuses it, or it
gave up after `outbox_max_attempts`) is reported to the admins and to whoever caused it,
on their own platform, in words that say what did not happen and what to do instead: so
nothing is dropped silently, and what a flow said ("I'm sending it to your manager") is
put right when it did not happen (issue 12).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import raiseload

from bot.runtime import Runtime, pause
from dialogs.kinds import Template
from storage import outbox
from storage import staff as staff_repo
from storage.models import Attachment, Letter, OutboxMessage, StaffMember, utcnow

log = logging.getLogger(__name__)

ALERT_TEMPLATES = frozenset({"admin_alert", "unreachable"})
MAX_BACKOFF = 300.0
# How long an update waits for the card it edits to be posted first.
UPDATE_WAIT = 2.0


class RetryLater(Exception):
    """A passing failure (429, 5xx, connection). `after` is the server's Retry-After."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class Undeliverable(Exception):
    """The platform refused the message for good (bad id, invalid payload, blocked).

    str() is for the admins and the log; `plain`, when given, is why in words the person
    who caused the message understands (e.g. Teams' 403 when the bot is blocked).
    """

    def __init__(self, reason: str, *, plain: str | None = None) -> None:
        super().__init__(reason)
        self.plain = plain


@dataclass
class Outgoing:
    """One claimed message with what a sender needs to post it."""

    message: OutboxMessage
    recipient: StaffMember
    recovering: bool
    letter: Letter | None = None
    # A file that is not a letter (the oversight report's chart and CSV).
    attachment: Attachment | None = None
    # For an update: the platform reference of the posted card it edits.
    original_ref: dict[str, Any] | None = None


class Sender(Protocol):
    platform: str

    def can_reach(self, staff: StaffMember) -> bool: ...

    async def deliver(self, item: Outgoing) -> dict[str, Any] | None:
        """Post, upload or update; return the platform's reference to what it posted."""
        ...


@dataclass
class _Outcome:
    item: Outgoing
    platform: str | None = None
    ref: dict[str, Any] | None = None
    retry_at: datetime | None = None
    error: str | None = None
    unreachable: bool = False
    skipped: bool = False
    # Why, for the person who caused the message (error is for the admins).
    plain: str | None = None


def backoff(attempt: int, base: float) -> float:
    """Exponential with jitter, so replicas retrying together spread out."""
    return min(MAX_BACKOFF, base * 2 ** max(0, attempt - 1)) * random.uniform(0.8, 1.2)


async def deliver_due(runtime: Runtime, senders: list[Sender], *, limit: int = 25) -> int:
    """One pass of the loop; returns how many messages it handled.

    The claim and the record are each one hand-off to the database's thread; the
    sending in between runs on the server's loop, outside any transaction.
    """
    items = await runtime.db.run(_claim(runtime, limit))
    if not items:
        return 0
    outcomes = await asyncio.gather(*(_attempt(runtime, senders, i) for i in items))
    await runtime.db.run(_record_all(runtime, outcomes))
    return len(items)


async def _claim(runtime: Runtime, limit: int) -> list[Outgoing]:
    """Claim the due messages, with what sending each needs, in one transaction."""
    now = utcnow()
    async with runtime.db.write() as session:
        claimed = await outbox.claim_due(
            session,
            worker=runtime.worker_id,
            now=now,
            limit=limit,
            lease=timedelta(seconds=runtime.settings.outbox_lease_seconds),
        )
        if not claimed:
            return []
        # Everyone this batch goes to, in one query; sending needs their ids, not roles.
        ids = {message.recipient_id for message, _ in claimed}
        people = await session.execute(
            select(StaffMember).where(StaffMember.id.in_(ids)).options(raiseload(StaffMember.roles))
        )
        recipients = {member.id: member for member in people.scalars()}
        items = []
        for message, recovering in claimed:
            recipient = recipients[message.recipient_id]
            # After a failed attempt the platform may hold the message anyway (the answer
            # was lost to a timeout or a dropped connection): look before posting again.
            unsure = message.attempts > 1 and message.last_error is not None
            item = Outgoing(message, recipient, recovering or unsure)
            if message.letter_id is not None:
                item.letter = await session.get(Letter, message.letter_id)
            if message.attachment_id is not None:
                item.attachment = await session.get(Attachment, message.attachment_id)
            if message.kind == "update" and message.card_key:
                original = await outbox.original_for_update(
                    session, card_key=message.card_key, recipient_id=message.recipient_id
                )
                item.original_ref = _original_state(original)
            items.append(item)
    return items


async def _record_all(runtime: Runtime, outcomes: list[_Outcome]) -> None:
    """What became of each message, in one transaction: sent ones together."""
    async with runtime.db.write() as session:
        sent = [
            outbox.Sent(o.item.message.id, o.platform or "", o.ref)
            for o in outcomes
            if o.error is None and not o.skipped
        ]
        await outbox.mark_sent(session, sent=sent, worker=runtime.worker_id, now=utcnow())
        for each in sent:
            runtime.metrics.delivered(each.platform, "sent")
        for outcome in outcomes:
            if outcome.error is not None or outcome.skipped:
                await _record(runtime, session, outcome)


def _original_state(original: OutboxMessage | None) -> dict[str, Any] | None:
    if original is None:
        return {"state": "missing"}
    if original.status == "sent":
        return {"state": "sent", "platform": original.platform, "ref": original.platform_ref}
    if original.status in ("pending", "sending"):
        return {"state": "waiting"}
    return {"state": "missing"}


def _choose(senders: list[Sender], item: Outgoing) -> Sender | None:
    if item.message.kind == "update" and item.original_ref:
        platform = item.original_ref.get("platform")
        return next((s for s in senders if s.platform == platform), None)
    return next((s for s in senders if s.can_reach(item.recipient)), None)


async def _attempt(runtime: Runtime, senders: list[Sender], item: Outgoing) -> _Outcome:
    msg = item.message
    if msg.kind == "update":
        state = (item.original_ref or {}).get("state")
        if state == "waiting":
            return _Outcome(
                item,
                retry_at=utcnow() + timedelta(seconds=UPDATE_WAIT),
                error="waiting for the card to be posted",
            )
        if state != "sent":
            return _Outcome(item, skipped=True, error="the card it updates was never posted")
    sender = _choose(senders, item)
    if sender is None:
        reason = _unreachable_reason(senders, item)
        return _Outcome(item, unreachable=True, error=reason, plain=reason)
    try:
        ref = await sender.deliver(item)
        return _Outcome(item, platform=sender.platform, ref=ref)
    except RetryLater as exc:
        delay = exc.after if exc.after is not None else backoff(msg.attempts, runtime.retry_base)
        retry_at = utcnow() + timedelta(seconds=delay)
        return _Outcome(item, sender.platform, retry_at=retry_at, error=exc.reason)
    except Undeliverable as exc:
        plain = exc.plain or f"{sender.platform.capitalize()} refused it."
        return _Outcome(item, sender.platform, error=str(exc), plain=plain)
    except Exception as exc:  # a bug of ours: keep the message, say so in the log
        log.exception("sending outbox message %s failed unexpectedly", msg.id)
        delay = backoff(msg.attempts, runtime.retry_base)
        retry_at = utcnow() + timedelta(seconds=delay)
        return _Outcome(item, sender.platform, retry_at=retry_at, error=repr(exc))


def _unreachable_reason(senders: list[Sender], item: Outgoing) -> str:
    if item.message.kind == "update":
        return "the platform that holds the card is not configured on this server"
    if not senders:
        return "neither Slack nor Teams is configured on this server."
    names = " or ".join(s.platform.capitalize() for s in senders)
    return f"they have no {names} account in the staff directory that I can message."


async def _record(runtime: Runtime, session: Any, outcome: _Outcome) -> None:
    """What happened to a message that was not delivered (deliveries are marked together)."""
    msg = outcome.item.message
    worker = runtime.worker_id
    if outcome.skipped:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == msg.id, OutboxMessage.claimed_by == worker)
            .values(status="skipped", last_error=outcome.error)
        )
        runtime.metrics.delivered(outcome.platform, "skipped")
        return
    assert outcome.error is not None
    max_attempts = runtime.settings.policy.outbox_max_attempts
    if outcome.retry_at is not None and msg.attempts < max_attempts:
        await outbox.mark_retry(
            session, message_id=msg.id, worker=worker, at=outcome.retry_at, error=outcome.error
        )
        runtime.metrics.delivered(outcome.platform, "retry")
        return
    reason = outcome.error
    plain = outcome.plain or "it could not be delivered."
    if outcome.retry_at is not None:
        reason = f"gave up after {msg.attempts} attempts; last error: {outcome.error}"
        where = (outcome.platform or "the platform").capitalize()
        plain = f"I tried {msg.attempts} times and {where} kept failing, so I have stopped."
    await outbox.mark_failed(session, message_id=msg.id, worker=worker, error=reason)
    runtime.metrics.delivered(outcome.platform, "unreachable" if outcome.unreachable else "failed")
    log.warning("outbox message %s to staff %s failed: %s", msg.id, msg.recipient_id, reason)
    await _alert(session, outcome.item, reason, plain=plain)
    runtime.wake_outbox()


async def _alert(session: Any, item: Outgoing, reason: str, *, plain: str) -> None:
    """Tell the admins, and whoever caused the message, that it did not arrive.

    Whatever the failure: the person who caused it was told it is on its way, and must
    hear that it is not (safecontact.example.toml, outbox_max_attempts).
    """
    msg = item.message
    if msg.template in ALERT_TEMPLATES:
        log.error("could not deliver an alert (outbox %s): %s", msg.id, reason)
        return
    what = _describe(msg.template)
    if msg.kind == "update":
        what = f"the latest version of {what}"
    for admin in await staff_repo.with_role(session, role="admin"):
        if admin.id == msg.recipient_id:
            continue
        await outbox.enqueue(
            session,
            recipient_id=admin.id,
            template="admin_alert",
            model={
                "recipient": item.recipient.name,
                "what": what,
                "reason": reason,
                "message_id": msg.id,
            },
        )
    if msg.origin_id is not None and msg.origin_id != msg.recipient_id:
        await outbox.enqueue(
            session,
            recipient_id=msg.origin_id,
            template=Template.UNREACHABLE,
            model={
                "recipient": item.recipient.name,
                "what": what,
                "reason": plain[:1].upper() + plain[1:].rstrip(".") + ".",
                "instead": INSTEAD.get(msg.template, INSTEAD_OTHERWISE),
            },
        )


DESCRIPTIONS = {
    "incident_card": "the incident report card",
    "incident_receipt": "your report's receipt",
    "welfare_checkin": "a welfare check-in",
    "talk_request": "a request to talk",
    "letter_file": "a letter",
}


# What the person who caused a message should do when it did not arrive. s6: staff who
# have acted "should inform their manager"; when the bot could not carry the report, the
# reporter must, so the advice says so instead of leaving them believing it was done.
INSTEAD = {
    Template.INCIDENT_CARD: "Your report is saved, but please tell them about it yourself (in "
    "person, by phone or by email) so they can act on it.",
    Template.TALK_REQUEST: "If you'd still like to talk, please contact them another way, or "
    "speak to another manager.",
}
INSTEAD_OTHERWISE = (
    "What you did is saved, but please let them know yourself (in person, by phone or by email)."
)


def _describe(template: str) -> str:
    return DESCRIPTIONS.get(template, template.replace("_", " "))


async def delivery_loop(runtime: Runtime, senders: list[Sender]) -> None:
    """Run until the server stops: deliver, then sleep until woken or the poll interval passes."""
    while not runtime.stopping.is_set():
        runtime.delivery_passes += 1
        number = runtime.delivery_passes
        try:
            handled = await deliver_due(runtime, senders)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("outbox delivery pass failed; retrying shortly")
            handled = None
        if handled:
            continue
        if handled == 0:
            runtime.last_idle_pass = number
            # Wakes everyone waiting now; a later waiter waits for the next idle pass.
            runtime.delivery_idle.set()
            runtime.delivery_idle.clear()
        runtime.outbox_wakeup.clear()
        await pause(runtime, runtime.poll_interval, wake=runtime.outbox_wakeup)
