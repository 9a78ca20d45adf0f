"""The audit trail: append-only, keyed, anchored outside the database, verifiable.

The rules (how an event is sealed, what each break means) are in storage/audit_chain.py;
the key and the anchor file in storage/audit_files.py. Here: writing and reading rows.

An event is queued where the change makes it, and written when the change's transaction
commits (a `before_commit` hook), together with the others of that transaction, in one
statement. So each event carries the hash of the state its record was left in by the
whole change, and the head's row is locked only for the moment of writing: concurrent
transactions on PostgreSQL queue for the tip of the chain instead of forking it, and
SQLite writes are already serialised by BEGIN IMMEDIATE. Events queued in a savepoint
that rolls back are dropped with it. Nothing here updates or deletes an audit row.

The first write with a key seals the chain ("audit.keyed", naming the head it found),
once per database: a database from before 0012 keeps its older, unkeyed events, covered
by that seal from then on (docs/security.md, "Audit trail").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, insert, inspect, select, update
from sqlalchemy.orm import Session as OrmSession

from storage import audit_chain
from storage.audit_chain import GENESIS, KEYED_ACTION, Finding, Tampering
from storage.audit_files import SESSION_INFO as FILES
from storage.audit_files import AuditFiles
from storage.db import AsyncSession, Database, check_write_deadline
from storage.models import (
    AuditEvent,
    AuditHead,
    Authorisation,
    Breach,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    FurtherAction,
    Incident,
    Letter,
    Matter,
    Person,
    PoliceReferral,
    Restriction,
    Review,
    SharingRequest,
    SubjectAccessRequest,
    Warning,
    WelfareCheckIn,
    utcnow,
)

__all__ = ["ENTITY_TYPES", "GENESIS", "Verdict", "check_key", "record", "verify"]

_PENDING = "safecontact.audit_pending"
# Records of the audited kinds the transaction added, changed or deleted.
_TOUCHED = "safecontact.audit_touched"

# The audit trail's name for each kind of record (kept as first written: events already
# stored use them). Events about these carry the hash of the record's state.
ENTITY_TYPES: dict[type, str] = {
    Person: "person",
    Incident: "incident",
    Warning: "warning",
    PoliceReferral: "police_referral",
    Letter: "letter",
    ContactStrategy: "contact_strategy",
    Authorisation: "authorisation",
    SharingRequest: "sharing_request",
    Disclosure: "disclosure",
    Breach: "breach",
    ContactLog: "contact_log",
    FurtherAction: "further_action",
    Matter: "matter",
    Dispute: "dispute",
    WelfareCheckIn: "welfare_checkin",
    SubjectAccessRequest: "subject_access_request",
    # What a strategy restricts, and what a review decided (s7, s7.1): written in the
    # strategy's and the review's own changes, so their states ride on those events.
    Restriction: "restriction",
    Review: "review",
}
MODELS = {name: model for model, name in ENTITY_TYPES.items()}

# Columns that change without an event of their own (bookkeeping, not decisions), so
# they are left out of a record's audited state.
UNAUDITED: dict[type, frozenset[str]] = {
    Person: frozenset({"last_activity_at"}),
    # The staff member's own ticks on the Appendix A checklist: saved without an event,
    # as nobody else is to see them (dialogs/welfare/flow.py).
    WelfareCheckIn: frozenset({"privacy_steps_done"}),
}


def record_state(row: Any) -> str:
    """The hash of a record's audited state: its columns, or DELETED for a row deleted.

    Columns holding None are left out, so a nullable column added by a later migration
    leaves old records' states as they were (a column added with another default would
    change them: name it in UNAUDITED until every record has an event after it).
    """
    state = inspect(row)
    if state.deleted or state.was_deleted:
        return audit_chain.state_hash(None)
    loaded = state.dict
    values = {}
    for key in _audited_keys(type(row)):
        value = loaded[key] if key in loaded else getattr(row, key)
        if value is not None:
            values[key] = value
    return audit_chain.state_hash(values)


_KEYS: dict[type, tuple[str, ...]] = {}


def _audited_keys(model: type) -> tuple[str, ...]:
    keys = _KEYS.get(model)
    if keys is None:
        skip = UNAUDITED.get(model, frozenset())
        names = (attr.key for attr in inspect(model).column_attrs)
        keys = _KEYS[model] = tuple(sorted(k for k in names if k not in skip))
    return keys


@dataclass
class _Queued:
    transaction: Any
    row: dict[str, Any]
    entity: Any = None


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
    entity: Any = None,
) -> None:
    """Queue one event in the caller's transaction; written when it commits.

    `detail` holds references, not names. Given `entity` (a stored row, its id perhaps
    not yet assigned), the event carries the hash of that row's state at commit.
    """
    if entity_id is None and entity is None:
        raise ValueError("an audit event names its record: give entity_id or entity")
    sync = session.sync_session
    queued = _Queued(
        sync.get_nested_transaction() or sync.get_transaction(),
        {
            "at": at or utcnow(),
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "detail": json.loads(json.dumps(detail or {}, default=str)),
        },
        entity,
    )
    sync.info.setdefault(_PENDING, []).append(queued)


@event.listens_for(OrmSession, "before_commit")
def _write_queued(session: OrmSession) -> None:
    queued: list[_Queued] = session.info.pop(_PENDING, None)
    if not queued:
        return
    session.flush()  # ids for new records, and their defaults
    files: AuditFiles = session.info[FILES]
    key = files.key
    conn = session.connection()
    seq, digest, keyed_from, kid = conn.execute(_LOCK_HEAD).one()
    rows: list[dict[str, Any]] = []
    sealing = keyed_from is None and seq > 0
    if keyed_from is None:
        # The first keyed write. A chain with events from before 0012 is sealed as it
        # stands (see the module docstring); an empty one is keyed from its first event.
        kid = audit_chain.key_id(key)
        keyed_from = seq + 1
    if sealing:
        rows.append(
            {
                "at": queued[0].row["at"],
                "actor": "system",
                "action": KEYED_ACTION,
                "entity_type": "audit",
                "entity_id": "chain",
                "detail": {"key_id": kid, "unkeyed_events": seq, "unkeyed_head": digest},
            }
        )
    # Each event carries the state of its own record; the last also carries the records
    # the change touched without an event of their own (a strategy put in force by its
    # authorisation's decision), so each is compared with the state this change left.
    touched: dict[int, Any] = session.info.pop(_TOUCHED, {})
    covered: set[tuple[str, str]] = set()
    for q in queued:
        row = q.row
        states: dict[str, str] = {}
        if q.entity is not None:
            if row["entity_id"] is None:
                row["entity_id"] = str(q.entity.id)
            ref = (row["entity_type"], row["entity_id"])
            states[_ref(ref)] = record_state(q.entity)
            covered.add(ref)
        row["_states"] = states
        rows.append(row)
    for obj in touched.values():
        ref = (ENTITY_TYPES[type(obj)], str(obj.id))
        if ref not in covered:
            covered.add(ref)
            rows[-1]["_states"][_ref(ref)] = record_state(obj)
    for row in rows:
        states = row.pop("_states", None)
        row["state"] = audit_chain.canonical(states).decode() if states else None
    for row in rows:
        seq += 1
        row["seq"], row["prev_hash"] = seq, digest
        digest = row["hash"] = audit_chain.keyed_hash(key, _body(row))
    moved = {"new_seq": seq, "new_hash": digest, "keyed_from": keyed_from, "key_id": kid}
    if conn.dialect.name == "postgresql" and len(rows) == 1:
        # One round trip for both: the head moves in the statement that appends.
        conn.execute(_APPEND_AND_MOVE, {**rows[0], **moved})
    else:
        conn.execute(_INSERT_EVENT, rows)
        conn.execute(_MOVE_HEAD, moved)
    # Waiting for the head's lock may have taken the change past its platform's window:
    # then it is rolled back, as the user is asked to try again (storage/db.py).
    check_write_deadline()


@event.listens_for(OrmSession, "before_flush")
def _note_touched(session: OrmSession, _context: Any, _instances: Any) -> None:
    """Which audited records this transaction writes (cheap: the few rows of one change)."""
    touched = None
    for obj in (*session.new, *session.dirty, *session.deleted):
        if type(obj) in ENTITY_TYPES:
            if touched is None:
                touched = session.info.setdefault(_TOUCHED, {})
            touched[id(obj)] = obj


def _ref(ref: tuple[str, str]) -> str:
    return f"{ref[0]}:{ref[1]}"


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_queued(session: OrmSession, previous_transaction: Any) -> None:
    """Events queued in a transaction (or savepoint) rolled back go with it."""
    if previous_transaction.parent is None:
        session.info.pop(_TOUCHED, None)
    queued: list[_Queued] | None = session.info.get(_PENDING)
    if not queued:
        return

    def inside(tx: Any) -> bool:
        while tx is not None:
            if tx is previous_transaction:
                return True
            tx = tx.parent
        return False

    session.info[_PENDING] = [q for q in queued if not inside(q.transaction)]


def _body(row: dict[str, Any]) -> bytes:
    return audit_chain.event_body(
        seq=row["seq"],
        prev_hash=row["prev_hash"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        detail=row["detail"],
        state=row["state"],
    )


_EVENTS = AuditEvent.__table__
_HEAD = AuditHead.__table__
_INSERT_EVENT = insert(_EVENTS)
_MOVE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(
        seq=bindparam("new_seq"),
        hash=bindparam("new_hash"),
        keyed_from=bindparam("keyed_from"),
        key_id=bindparam("key_id"),
    )
)
_APPEND_AND_MOVE = _INSERT_EVENT.add_cte(_MOVE_HEAD.cte("moved"))
_LOCK_HEAD = (
    select(_HEAD.c.seq, _HEAD.c.hash, _HEAD.c.keyed_from, _HEAD.c.key_id)
    .where(_HEAD.c.id == 1)
    .with_for_update()
)


# -- verifying -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""
    findings: tuple[Finding, ...] = field(default=())
    # Records whose rows differ from their last audited state: (entity type, id).
    edited: tuple[tuple[str, str], ...] = field(default=())
    keyed: bool = True

    @property
    def kinds(self) -> set[Tampering]:
        return {f.kind for f in self.findings}


def _states(text: str) -> dict[tuple[str, str], str]:
    """An event's `state`: {"type:id": state hash} of the records its change left."""
    try:
        mapping = json.loads(text)
    except ValueError:
        return {}
    found = {}
    for ref, state in mapping.items() if isinstance(mapping, dict) else ():
        entity_type, _, entity_id = str(ref).partition(":")
        found[(entity_type, entity_id)] = str(state)
    return found


def _files(session: AsyncSession) -> AuditFiles:
    return session.info[FILES]


async def verify(session: AsyncSession, *, batch: int = 5000) -> Verdict:
    """Walk the chain with the key, compare it with the anchors and the audited records
    with their rows today; name each kind of tampering found (audit_chain.Tampering)."""
    files = _files(session)
    head_row = (await session.execute(select(_HEAD).where(_HEAD.c.id == 1))).one_or_none()
    head = (
        audit_chain.Head(head_row.seq, head_row.hash, head_row.keyed_from, head_row.key_id)
        if head_row is not None
        else None
    )
    if head is not None and head.keyed_from is not None and not files.exists():
        # Not made afresh here (as `serve` does not, check_key): a new key would only be
        # another wrong one, and a stray key file the next start would trust.
        missing = Finding(
            Tampering.WRONG_KEY,
            None,
            f"the audit chain is keyed, but there is no key at {files.key_path}: restore "
            "the key file from its backup; without it the trail cannot be verified",
        )
        return Verdict(False, 0, None, missing.text, (missing,))
    check = audit_chain.ChainCheck(files.key, head, anchors=files.anchors())
    audited: dict[tuple[str, str], str] = {}
    after = 0
    while True:
        rows = (
            await session.execute(
                select(_EVENTS).where(_EVENTS.c.seq > after).order_by(_EVENTS.c.seq).limit(batch)
            )
        ).all()
        if not rows:
            break
        for ev in rows:
            check.add(
                audit_chain.Event(
                    seq=ev.seq,
                    prev_hash=ev.prev_hash,
                    hash=ev.hash,
                    action=ev.action,
                    entity_type=ev.entity_type,
                    entity_id=ev.entity_id,
                    body=audit_chain.event_body(
                        seq=ev.seq,
                        prev_hash=ev.prev_hash,
                        at=ev.at,
                        actor=ev.actor,
                        action=ev.action,
                        entity_type=ev.entity_type,
                        entity_id=ev.entity_id,
                        detail=ev.detail,
                        state=ev.state,
                    ),
                    detail=ev.detail,
                )
            )
            if ev.state:
                for ref, state in _states(ev.state).items():
                    audited[ref] = state
            after = ev.seq
    findings = check.finish()
    edited: list[tuple[str, str]] = []
    if not any(f.kind is Tampering.WRONG_KEY for f in findings):
        edited = audit_chain.compare_states(audited, await _current_states(session, audited))
        if edited:
            names = ", ".join(f"{t} {i}" for t, i in edited[:10])
            more = f" and {len(edited) - 10} more" if len(edited) > 10 else ""
            findings.append(
                Finding(
                    Tampering.EDITED_RECORD,
                    None,
                    f"{len(edited)} records differ from their last audited state: {names}{more}",
                )
            )
    first = findings[0] if findings else None
    return Verdict(
        ok=not findings,
        checked=check.checked,
        bad_seq=first.seq if first else None,
        reason=first.text if first else "",
        findings=tuple(findings),
        edited=tuple(edited),
        keyed=check.keyed_from is not None,
    )


async def _current_states(
    session: AsyncSession, audited: dict[tuple[str, str], str]
) -> dict[tuple[str, str], str | None]:
    wanted: dict[str, set[str]] = {}
    for entity_type, entity_id in audited:
        if entity_type in MODELS:
            wanted.setdefault(entity_type, set()).add(entity_id)
    current: dict[tuple[str, str], str | None] = {}
    for entity_type, ids in wanted.items():
        model = MODELS[entity_type]
        for row in (await session.execute(select(model))).scalars():
            if str(row.id) in ids:
                current[(entity_type, str(row.id))] = record_state(row)
        session.expunge_all()
    return current


async def check_key(db: Database) -> Finding | None:
    """What `serve` checks before it starts: that this key is the chain's, and that the
    newest event carries its seal. None when they agree (or nothing is keyed yet)."""
    async with db.read() as session:
        files = _files(session)
        head = (await session.execute(select(_HEAD).where(_HEAD.c.id == 1))).one_or_none()
        if head is None or head.keyed_from is None:
            if files.anchors():
                # The anchors were written by a keyed chain: a head with no key (or no head)
                # was rewound or re-chained outside safecontact, and the next write would
                # seal the forgery. Only `audit verify` may say more.
                return Finding(
                    Tampering.UNKEYED,
                    None,
                    "the database's audit chain is not keyed, but the anchor file at "
                    f"{files.anchor_path} records a keyed one: the chain was rewound or "
                    "re-chained outside safecontact",
                )
            return None
        if not files.exists():
            # Not made afresh here: a new key would only be another wrong one.
            return Finding(
                Tampering.WRONG_KEY,
                None,
                f"the audit chain is keyed, but there is no key at {files.key_path}",
            )
        key = files.key
        ours = audit_chain.key_id(key)
        if head.key_id != ours:
            return Finding(
                Tampering.WRONG_KEY,
                None,
                f"the audit chain is keyed with key {head.key_id}, but {files.key_path} "
                f"holds key {ours}",
            )
        last = (
            await session.execute(select(_EVENTS).order_by(_EVENTS.c.seq.desc()).limit(1))
        ).one_or_none()
        if last is None or last.seq < head.keyed_from:
            return None
        body = audit_chain.event_body(
            seq=last.seq,
            prev_hash=last.prev_hash,
            at=last.at,
            actor=last.actor,
            action=last.action,
            entity_type=last.entity_type,
            entity_id=last.entity_id,
            detail=last.detail,
            state=last.state,
        )
        if audit_chain.keyed_hash(key, body) != last.hash or (last.seq, last.hash) != (
            head.seq,
            head.hash,
        ):
            return Finding(
                Tampering.WRONG_KEY,
                last.seq,
                f"the newest audit event ({last.seq}) does not carry the seal of the key in "
                f"{files.key_path}; run `safecontact audit verify`",
            )
    return None


async def is_keyed(db: Database) -> bool:
    async with db.read() as session:
        row = (await session.execute(select(_HEAD.c.keyed_from))).one_or_none()
        return row is not None and row.keyed_from is not None


async def head_now(db: Database) -> tuple[int, str]:
    """The chain's head: (number of events, hash of the last)."""
    async with db.read() as session:
        row = (await session.execute(select(_HEAD.c.seq, _HEAD.c.hash))).one()
        return int(row.seq), str(row.hash)
