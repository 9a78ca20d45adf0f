"""The audit trail: append-only, hash-chained, verifiable from the database alone.

Appends lock the single `audit_head` row, so concurrent transactions on PostgreSQL
queue for the tip of the chain instead of forking it; SQLite writes are already
serialised by BEGIN IMMEDIATE. Nothing here updates or deletes an audit row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session as OrmSession

from storage.db import AsyncSession
from storage.models import AuditEvent, AuditHead, utcnow
from storage.models.base import as_loaded

GENESIS = "0" * 64
_HEAD_KEY = "safecontact.audit_head"


def event_hash(
    *,
    seq: int,
    prev_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any],
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "prev": prev_hash,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "entity": [entity_type, entity_id],
            "detail": detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction. `detail` holds references, not names.

    The event and the moved head are written at once, as plain statements on the
    transaction's connection: two statements per event, without the ORM's unit of work,
    which cost more than the statements themselves (docs/performance.md).
    """
    at = at or utcnow()
    detail = json.loads(json.dumps(detail or {}, default=str))
    return await session.run_sync(
        _append,
        {
            "at": at,
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": str(entity_id),
            "detail": detail,
        },
    )


def _append(session: OrmSession, row: dict[str, Any]) -> AuditEvent:
    tip = _locked_tip(session)
    row["seq"] = tip.seq + 1
    row["prev_hash"] = tip.hash
    row["hash"] = event_hash(
        seq=row["seq"],
        prev_hash=tip.hash,
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        detail=row["detail"],
    )
    conn = session.connection()
    moved = {**row, "new_seq": row["seq"], "new_hash": row["hash"]}
    if conn.dialect.name == "postgresql":
        # One round trip for both: the head moves in the statement that appends.
        event_id = conn.execute(_APPEND_AND_MOVE, moved).scalar_one()
    else:
        event_id = conn.execute(_INSERT_EVENT, row).scalar_one()
        conn.execute(_MOVE_HEAD, moved)
    tip.seq, tip.hash = row["seq"], row["hash"]
    return as_loaded(AuditEvent, {"id": event_id, **row})


_EVENTS = AuditEvent.__table__
_HEAD = AuditHead.__table__
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)
_APPEND_AND_MOVE = _INSERT_EVENT.add_cte(_MOVE_HEAD.cte("moved"))
_LOCK_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()


@dataclass
class _Tip:
    """The chain's tip as this transaction has moved it (its row is locked)."""

    transaction: Any
    seq: int
    hash: str


def _locked_tip(session: OrmSession) -> _Tip:
    """The chain's tip, locked for this transaction; locked once, however many events."""
    transaction = session.get_transaction()
    tip = session.info.get(_HEAD_KEY)
    if tip is not None and tip.transaction is transaction:
        return tip
    seq, digest = session.connection().execute(_LOCK_HEAD).one()
    tip = session.info[_HEAD_KEY] = _Tip(transaction, seq, digest)
    return tip


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_tip(session: OrmSession, previous_transaction: Any) -> None:
    """A savepoint rolled back took its events and head moves with it: read the tip again."""
    session.info.pop(_HEAD_KEY, None)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""


async def verify(session: AsyncSession, *, batch: int = 5000) -> Verdict:
    """Walk the chain; name the first event that was altered, or where one went missing."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = (
            (
                await session.execute(
                    select(AuditEvent)
                    .where(AuditEvent.seq >= expected_seq)
                    .order_by(AuditEvent.seq)
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return Verdict(
                    False,
                    checked,
                    expected_seq,
                    f"event {expected_seq} is missing (the next one held is {ev.seq})",
                )
            if ev.prev_hash != prev:
                return Verdict(
                    False, checked, ev.seq, f"event {ev.seq} does not follow the event before it"
                )
            digest = event_hash(
                seq=ev.seq,
                prev_hash=ev.prev_hash,
                at=ev.at,
                actor=ev.actor,
                action=ev.action,
                entity_type=ev.entity_type,
                entity_id=ev.entity_id,
                detail=ev.detail,
            )
            if digest != ev.hash:
                return Verdict(
                    False,
                    checked,
                    ev.seq,
                    f"event {ev.seq} ({ev.action} on {ev.entity_type} {ev.entity_id}) "
                    "was changed after it was written",
                )
            prev = ev.hash
            expected_seq += 1
            checked += 1
            last_id = ev.seq
        session.expunge_all()
    head = (await session.execute(select(AuditHead).where(AuditHead.id == 1))).scalar_one_or_none()
    if head is None:
        return Verdict(False, checked, None, "the chain's head record is missing")
    if head.seq != last_id or head.hash != prev:
        return Verdict(
            False,
            checked,
            last_id + 1,
            f"event {last_id + 1} is missing: the chain ends at {last_id} "
            f"but {head.seq} events were written",
        )
    return Verdict(True, checked)
