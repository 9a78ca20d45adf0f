"""Welfare data: kept apart from the case file, seen by the staff member only (Appendix A)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class WelfareCheckIn(Base):
    __tablename__ = "welfare_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    # Which incident prompted it, so a follow-up can say "after Tuesday's call"; never shown
    # in the case file.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(20))  # after_incident | follow_up | self
    answer: Mapped[str | None] = mapped_column(String(20))  # ok | talk | support
    answered_at: Mapped[datetime | None] = mapped_column()
    privacy_steps_done: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
