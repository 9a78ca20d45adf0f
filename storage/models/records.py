"""Records and rights: subject access requests and the files the bot sends (s9).

A subject access request is tracked so the office meets the one-month deadline the
Data Protection Act 2018 and UK GDPR Article 12(3) set; the oversight report lists the
open ones until they are closed. An attachment holds the bytes of a file the outbox
delivers that is not a letter (the oversight report's chart and CSV), so delivery stays
one row per recipient while the bytes are stored once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class SubjectAccessRequest(Base):
    """A request by a member of the public for their personal data (s9; UK GDPR Art. 15).

    `due_on` is fixed when the request is recorded; `closed_on` is when the answer went.
    Who opened and closed it is an actor string ("cli:jdoe", "staff:7"), like the audit
    trail's, so the record needs no one's name.
    """

    __tablename__ = "subject_access_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)  # open | closed
    opened_by: Mapped[str] = mapped_column(String(100))
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(100))
    # answered | withdrawn | refused (manifestly unfounded or excessive, Art. 12(5))
    outcome: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """The bytes of a file the bot sends that is not a letter (the oversight report's files).

    `purpose` names what it belongs to ("oversight-report:2026-11"), so a month's files
    can be found again without parsing file names.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(60), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
