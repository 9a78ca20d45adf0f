"""Interactions already processed: what makes a replayed request a no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class SeenInteraction(Base):
    """One submission or button press that changed something, by a digest of its
    platform's own identifiers (bot/interactions_once.py), and the answer it got.

    The row is written in the transaction of the change itself, so a request is stored
    at most once however often it is sent; `answer` follows just after, for the repeat
    to be given. Rows are kept well past the longest a platform's signature or token
    stays valid (`expires_at`), then purged.
    """

    __tablename__ = "seen_interactions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(20))
    seen_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
