"""The chat accounts found for staff by email: read, replaced after a lookup, linked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from storage.db import AsyncSession
from storage.models import StaffIdentity, StaffMember


@dataclass(frozen=True)
class Found:
    """An account found for the person with this email."""

    email: str
    platform: str
    user_id: str
    source: str
    found_at: datetime


async def all_found(session: AsyncSession) -> list[Found]:
    rows = await session.execute(
        select(StaffMember.email, StaffIdentity).join(
            StaffMember, StaffMember.id == StaffIdentity.staff_id
        )
    )
    return [
        Found(email, ident.platform, ident.user_id, ident.source, ident.found_at)
        for email, ident in rows.all()
    ]


async def replace(
    session: AsyncSession,
    *,
    platform: str,
    source: str,
    found: Mapping[str, str | None],
    now: datetime,
) -> None:
    """Make the rows for these emails say what a lookup just found (None: no account)."""
    members = {
        m.email: m
        for m in (
            await session.execute(select(StaffMember).where(StaffMember.email.in_(list(found))))
        ).scalars()
    }
    current = {
        row.staff_id: row
        for row in (
            await session.execute(
                select(StaffIdentity).where(
                    StaffIdentity.platform == platform,
                    StaffIdentity.staff_id.in_([m.id for m in members.values()]),
                )
            )
        ).scalars()
    }
    changed: list[tuple[int, str]] = []
    for email, user_id in found.items():
        member = members.get(email)
        if member is None:
            continue
        row = current.get(member.id)
        if row is not None and row.user_id == user_id:
            continue
        if row is not None:
            await session.delete(row)
        if user_id is not None:
            changed.append((member.id, user_id))
    await session.flush()
    if changed:
        # An account found for someone else before belongs to the person it is found for now.
        await session.execute(
            delete(StaffIdentity).where(
                StaffIdentity.platform == platform,
                StaffIdentity.user_id.in_([user_id for _, user_id in changed]),
            )
        )
    for staff_id, user_id in changed:
        session.add(
            StaffIdentity(
                staff_id=staff_id, platform=platform, user_id=user_id, source=source, found_at=now
            )
        )
    await session.flush()


async def forget_departed(session: AsyncSession) -> None:
    """People who left the directory lose the accounts found for them, as their ids."""
    gone = select(StaffMember.id).where(StaffMember.in_directory.is_(False))
    await session.execute(delete(StaffIdentity).where(StaffIdentity.staff_id.in_(gone)))
