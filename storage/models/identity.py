"""Chat accounts the bot found for a member of staff from their email address.

Kept apart from the ids the directory file gives (staff_members.slack_user_id and
teams_user_id hold the ids in use), so the two can be compared: an id given in the file
must agree with the one found, or the directory sync refuses.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class StaffIdentity(Base):
    """One account on one platform, found by email (Slack users.lookupByEmail, the Teams
    roster); at most one per person and platform, and one person per account."""

    __tablename__ = "staff_identities"
    __table_args__ = (
        UniqueConstraint("platform", "user_id", name="uq_staff_identities_account"),
        UniqueConstraint("staff_id", "platform", name="uq_staff_identities_person"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(10))  # slack | teams
    user_id: Mapped[str] = mapped_column(String(100))
    # How it was found: "email" (Slack users.lookupByEmail) or "roster" (Teams).
    source: Mapped[str] = mapped_column(String(10))
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
