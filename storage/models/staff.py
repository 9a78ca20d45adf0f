"""Staff: the directory synced from the config file, and how to reach each person."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, utcnow


class StaffMember(Base):
    """A member of staff. Never deleted: leaving the directory removes roles, not history."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    manager_email: Mapped[str | None] = mapped_column(String(254))
    # s7: the authority an authoriser holds, from the directory file (None: not recorded).
    head_of_business_services: Mapped[bool | None] = mapped_column()
    nominated_by_email: Mapped[str | None] = mapped_column(String(254))
    nominated_on: Mapped[date | None] = mapped_column(Date)
    slack_user_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    slack_dm_channel: Mapped[str | None] = mapped_column(String(40))
    teams_user_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    in_directory: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    roles: Mapped[list[StaffRole]] = relationship(
        back_populates="staff", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, role: str) -> bool:
        return role in self.role_names


class StaffRole(Base):
    __tablename__ = "staff_roles"
    __table_args__ = (UniqueConstraint("staff_id", "role", name="staff_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))

    staff: Mapped[StaffMember] = relationship(back_populates="roles")


class TeamsConversationRef(Base):
    """The stored conversation reference the bot needs to message someone in Teams first."""

    __tablename__ = "teams_conversation_refs"

    id: Mapped[int] = mapped_column(primary_key=True)
    teams_user_id: Mapped[str] = mapped_column(String(100), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(300))
    service_url: Mapped[str] = mapped_column(String(500))
    tenant_id: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
