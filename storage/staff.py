"""The staff directory in the database: synced from the config file, looked up by identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import joinedload

from storage import audit
from storage.db import AsyncSession
from storage.models import StaffMember, StaffRole


class DirectoryEntry(Protocol):
    """What the sync needs of a `[[staff]]` entry (storage imports nothing of bot/)."""

    name: str
    email: str
    roles: Sequence[str]
    manager: str | None
    slack_user_id: str | None
    teams_user_id: str | None
    head_of_business_services: bool
    nominated_by: str | None
    nominated_on: date | None


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    changed: list[str]
    removed: list[str]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.changed or self.removed)


async def sync_directory(session: AsyncSession, *, entries: Sequence[DirectoryEntry]) -> SyncReport:
    """Make the database match the directory; a second run with the same file changes nothing.

    Someone removed from the file loses their roles and platform ids but keeps their row,
    so their reports and decisions stay attributable.
    """
    members = {m.email: m for m in (await session.execute(select(StaffMember))).scalars()}
    wanted = {e.email: e for e in entries}
    added: list[str] = []
    changed: list[str] = []
    removed: list[str] = []
    # Taken before identities are freed below, so someone who only loses an id is reported.
    before_sync = {email: _snapshot(m) for email, m in members.items()}

    # Free identities first, so ids can move between people without breaking uniqueness.
    for email, member in members.items():
        entry = wanted.get(email)
        for attr in ("slack_user_id", "teams_user_id"):
            new = getattr(entry, attr) if entry is not None else None
            if getattr(member, attr) is not None and getattr(member, attr) != new:
                setattr(member, attr, None)
    await session.flush()

    for email, entry in wanted.items():
        member = members.get(email)
        if member is None:
            member = StaffMember(email=email, name=entry.name, roles=[])
            session.add(member)
            members[email] = member
            added.append(email)
        before = before_sync.get(email)
        member.name = entry.name
        member.manager_email = entry.manager
        member.slack_user_id = entry.slack_user_id
        member.teams_user_id = entry.teams_user_id
        # s7: on what authority they authorise, as the directory file says.
        member.head_of_business_services = entry.head_of_business_services or None
        member.nominated_by_email = entry.nominated_by
        member.nominated_on = entry.nominated_on
        member.in_directory = True
        _set_roles(member, entry.roles)
        if before is not None and before != _snapshot(member):
            changed.append(email)

    for email, member in list(members.items()):
        if email not in wanted and (member.in_directory or member.roles):
            member.in_directory = False
            member.manager_email = None
            _set_roles(member, [])
            removed.append(email)

    await session.flush()
    for action, emails in (
        ("staff.added", added),
        ("staff.changed", changed),
        ("staff.removed", removed),
    ):
        for email in emails:
            m = members[email]
            await audit.record(
                session,
                actor="system:directory",
                action=action,
                entity_type="staff",
                entity_id=m.id,
                detail={"roles": sorted(m.role_names)},
            )
    return SyncReport(added, changed, removed)


def _snapshot(m: StaffMember) -> tuple[object, ...]:
    return (
        m.name,
        m.manager_email,
        m.slack_user_id,
        m.teams_user_id,
        m.head_of_business_services,
        m.nominated_by_email,
        m.nominated_on,
        m.in_directory,
        tuple(sorted(m.role_names)),
    )


def _set_roles(member: StaffMember, roles: Sequence[str]) -> None:
    keep = set(roles)
    member.roles = [r for r in member.roles if r.role in keep]
    have = member.role_names
    for role in roles:
        if role not in have:
            member.roles.append(StaffRole(role=role))
            have.add(role)


async def get_by_id(session: AsyncSession, *, staff_id: int) -> StaffMember | None:
    return await session.get(StaffMember, staff_id)


async def _one(session: AsyncSession, condition: ColumnElement[bool]) -> StaffMember | None:
    """One member with their roles in one statement, not two: every request looks its
    sender up, and each statement is a round trip to the driver (docs/performance.md)."""
    stmt = select(StaffMember).where(condition).options(joinedload(StaffMember.roles))
    return (await session.execute(stmt)).unique().scalar_one_or_none()


async def get_by_email(session: AsyncSession, *, email: str) -> StaffMember | None:
    return await _one(session, StaffMember.email == email.lower())


async def get_by_slack_id(session: AsyncSession, *, slack_user_id: str) -> StaffMember | None:
    return await _one(session, StaffMember.slack_user_id == slack_user_id)


async def get_by_teams_id(session: AsyncSession, *, teams_user_id: str) -> StaffMember | None:
    return await _one(session, StaffMember.teams_user_id == teams_user_id)


async def first_in_directory_with_email(
    session: AsyncSession, *, emails: Sequence[str]
) -> StaffMember | None:
    """The member of the directory one of these (lower-case) emails belongs to."""
    stmt = (
        select(StaffMember)
        .where(StaffMember.email.in_(emails), StaffMember.in_directory.is_(True))
        .order_by(StaffMember.id)
    )
    return (await session.execute(stmt)).scalars().first()


async def holding_account(session: AsyncSession, *, field: str, user_id: str) -> StaffMember | None:
    """Whoever has this platform account (`field`: slack_user_id or teams_user_id)."""
    stmt = select(StaffMember).where(getattr(StaffMember, field) == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def list_staff(session: AsyncSession, *, include_removed: bool = False) -> list[StaffMember]:
    stmt = select(StaffMember).order_by(StaffMember.name)
    if not include_removed:
        stmt = stmt.where(StaffMember.in_directory.is_(True))
    return list((await session.execute(stmt)).scalars())


async def with_role(session: AsyncSession, *, role: str) -> list[StaffMember]:
    stmt = (
        select(StaffMember)
        .join(StaffRole)
        .where(StaffRole.role == role, StaffMember.in_directory.is_(True))
        .order_by(StaffMember.name)
    )
    return list((await session.execute(stmt)).scalars())


async def manager_of(session: AsyncSession, *, member: StaffMember) -> StaffMember | None:
    if not member.manager_email:
        return None
    manager = await get_by_email(session, email=member.manager_email)
    return manager if manager is not None and manager.in_directory else None


async def names(session: AsyncSession) -> dict[int, str]:
    """Every member of staff's name by id, for showing who did what."""
    rows = await session.execute(select(StaffMember.id, StaffMember.name))
    return {i: n for i, n in rows.all()}
