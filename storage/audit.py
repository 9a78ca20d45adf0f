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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEvent, AuditHead, utcnow

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

    The event and the moved head are written with the transaction's next flush, so a
    change that records several events sends them together.
    """
    head = await _locked_head(session)
    at = at or utcnow()
    detail = json.loads(json.dumps(detail or {}, default=str))
    seq = head.seq + 1
    digest = event_hash(
        seq=seq,
        prev_hash=head.hash,
        at=at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        detail=detail,
    )
    event = AuditEvent(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        detail=detail,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(event)
    head.seq = seq
    head.hash = digest
    return event


async def _locked_head(session: AsyncSession) -> AuditHead:
    """The chain's tip, locked for this transaction; locked once, however many events."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_HEAD_KEY)
    if held is not None and held[0] is transaction:
        return held[1]
    head = (
        await session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update())
    ).scalar_one()
    session.info[_HEAD_KEY] = (transaction, head)
    return head


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
