"""The outbox: messages written with the change they report, delivered by a loop.

Claiming marks rows `sending` with a lease; a row whose lease ran out (its sender
crashed mid-call) is claimed again, and the sender must check whether the platform
already holds it before posting again, so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session as OrmSession

from storage.db import AsyncSession
from storage.models import OutboxMessage, utcnow
from storage.models.base import as_loaded

LEASE = timedelta(seconds=60)


async def enqueue(
    session: AsyncSession,
    *,
    recipient_id: int,
    template: str,
    model: dict[str, Any],
    card_key: str | None = None,
    kind: str = "message",
    letter_id: int | None = None,
    not_before: datetime | None = None,
    origin_id: int | None = None,
    attachment_id: int | None = None,
) -> OutboxMessage:
    now = utcnow()
    row = {
        "recipient_id": recipient_id,
        "origin_id": origin_id,
        "kind": kind,
        "template": template,
        "model": model,
        "card_key": card_key,
        "letter_id": letter_id,
        "attachment_id": attachment_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "claimed_by": None,
        "claimed_at": None,
        "platform": None,
        "platform_ref": None,
        "last_error": None,
        "sent_at": None,
        "created_at": now,
    }
    return await session.run_sync(_insert, row)


def _insert(session: OrmSession, row: dict[str, Any]) -> OutboxMessage:
    # A plain statement on the connection: the ORM's unit of work cost more than the
    # insert (docs/performance.md). Anything it refers to is already written (the
    # staff, and a letter or attachment the unit of work flushed first).
    row["id"] = session.connection().execute(_INSERT, row).scalar_one()
    return as_loaded(OutboxMessage, row)


_INSERT = insert(OutboxMessage.__table__).returning(OutboxMessage.__table__.c.id)


async def claim_due(
    session: AsyncSession,
    *,
    worker: str,
    now: datetime,
    limit: int = 20,
    lease: timedelta = LEASE,
) -> list[tuple[OutboxMessage, bool]]:
    """Lease up to `limit` due messages to this worker; SKIP LOCKED keeps replicas apart.

    Each comes with `recovering`: True when an earlier lease ran out mid-send, so the
    platform may already hold the message.
    """
    return await session.run_sync(_claim, worker=worker, now=now, limit=limit, lease=lease)


def _claim(
    session: OrmSession, *, worker: str, now: datetime, limit: int, lease: timedelta
) -> list[tuple[OutboxMessage, bool]]:
    # Plain statements, read back as rows: the ORM's loading and unit of work cost more
    # than the claim (docs/performance.md). The rows are locked (SQLite's write lock,
    # PostgreSQL's FOR UPDATE) between the read and the mark.
    table = OutboxMessage.__table__
    c = table.c
    due = or_(
        and_(c.status == "pending", c.next_attempt_at <= now),
        and_(c.status == "sending", c.claimed_at <= now - lease),
    )
    stmt = select(table).where(due).order_by(c.id).limit(limit)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = conn.execute(stmt).mappings().all()
    if not rows:
        return []
    mark = {"status": "sending", "claimed_by": worker, "claimed_at": now}
    conn.execute(
        update(table)
        .where(c.id.in_([r["id"] for r in rows]))
        .values(attempts=c.attempts + 1, **mark)
    )
    return [
        (
            as_loaded(OutboxMessage, {**r, **mark, "attempts": r["attempts"] + 1}),
            r["status"] == "sending",
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Sent:
    message_id: int
    platform: str
    platform_ref: dict[str, Any] | None


async def mark_sent(
    session: AsyncSession, *, sent: Sequence[Sent], worker: str, now: datetime
) -> None:
    """Record a pass's deliveries in one statement; a row another worker's lease took over
    meanwhile is left alone (its status is no longer ours to set)."""
    if not sent:
        return
    table = OutboxMessage.__table__
    # Core executemany: one round trip for the batch, where the ORM would send one each.
    stmt = (
        update(table)
        .where(
            table.c.id == bindparam("b_id"),
            table.c.status == "sending",
            table.c.claimed_by == worker,
        )
        .values(
            status="sent",
            platform=bindparam("b_platform"),
            platform_ref=bindparam("b_ref"),
            sent_at=now,
        )
    )
    await session.execute(
        stmt,
        [{"b_id": s.message_id, "b_platform": s.platform, "b_ref": s.platform_ref} for s in sent],
    )


async def mark_retry(
    session: AsyncSession, *, message_id: int, worker: str, at: datetime, error: str
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
        .values(status="pending", next_attempt_at=at, last_error=error[:2000], claimed_at=None)
    )


async def mark_failed(session: AsyncSession, *, message_id: int, worker: str, error: str) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == worker)
        .values(status="failed", last_error=error[:2000])
    )


async def sent_with_key(session: AsyncSession, *, card_key: str) -> list[OutboxMessage]:
    """Every delivered copy of a card, so a decision can update all of them."""
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.card_key == card_key,
            OutboxMessage.kind == "message",
            OutboxMessage.status == "sent",
        )
        .order_by(OutboxMessage.id)
    )
    return list((await session.execute(stmt)).scalars())


async def counts(session: AsyncSession) -> dict[str, int]:
    from sqlalchemy import func

    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: n for status, n in rows.all()}


async def refresh_card(session: AsyncSession, *, card_key: str, model: dict[str, Any]) -> int:
    """Give every recipient of a card its new state; returns how many copies change.

    A copy not yet sent simply goes out with the new model; a sent one gets an update
    message that the sender applies in place (Slack chat.update, Teams update_activity).
    """
    originals = (
        await session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.card_key == card_key, OutboxMessage.kind == "message")
            .order_by(OutboxMessage.id)
        )
    ).scalars()
    changed = 0
    for original in originals:
        if original.status == "pending":
            original.model = model
        elif original.status in ("sending", "sent"):
            session.add(
                OutboxMessage(
                    recipient_id=original.recipient_id,
                    origin_id=original.origin_id,
                    kind="update",
                    template=original.template,
                    model=model,
                    card_key=card_key,
                )
            )
        else:
            continue
        changed += 1
    await session.flush()
    return changed


async def original_for_update(
    session: AsyncSession, *, card_key: str, recipient_id: int
) -> OutboxMessage | None:
    """The first posted copy of a card to one recipient: what an update edits."""
    return (
        await session.execute(
            select(OutboxMessage)
            .where(
                OutboxMessage.card_key == card_key,
                OutboxMessage.kind == "message",
                OutboxMessage.recipient_id == recipient_id,
            )
            .order_by(OutboxMessage.id)
            .limit(1)
        )
    ).scalar_one_or_none()
