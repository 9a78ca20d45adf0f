"""Operational tables: the outbox, durable jobs and the audit chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class OutboxMessage(Base):
    """A message the bot sends on its own, written in the transaction of the change it reports.

    `kind` is message (a new post), update (replace an earlier post, found by `card_key`)
    or file (a letter, or an attachment, uploaded as a file).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    # Who caused it: told if the message cannot be delivered to anyone.
    origin_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    kind: Mapped[str] = mapped_column(String(10), default="message")
    template: Mapped[str] = mapped_column(String(60))
    model: Mapped[dict[str, Any]] = mapped_column(JSON)
    card_key: Mapped[str | None] = mapped_column(String(100), index=True)
    letter_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id"))
    # A file that is not a letter (the oversight report's chart and CSV), for kind "file".
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column()
    platform: Mapped[str | None] = mapped_column(String(10))
    platform_ref: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScheduledJob(Base):
    """A durable job; the unique key makes scheduling the same reminder twice a no-op."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(Base):
    """Append-only and hash-chained under a key (storage/audit_chain.py); details hold
    references, never a person's name; `state` is the hash of the record's audited state."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column()
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # {"incident:7": hash of its audited state, ...}: the records this change left.
    state: Mapped[str | None] = mapped_column(Text)


class AuditHead(Base):
    """The chain's tip; locking this row serialises appends, and it exposes a deleted last event."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    # The event that keyed the chain ("audit.keyed"), and which key: None before 0012's
    # first write.
    keyed_from: Mapped[int | None] = mapped_column(BigInteger)
    key_id: Mapped[str | None] = mapped_column(String(16))
