"""Subject access requests (s9): the open one of a person, and every open one."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import AsyncSession
from storage.models import Person, SubjectAccessRequest
from storage.models.status import SarStatus


async def get(
    session: AsyncSession, *, request_id: int, lock: bool = False
) -> SubjectAccessRequest | None:
    """A request by its number; with `lock`, held until the transaction ends."""
    return await session.get(SubjectAccessRequest, request_id, with_for_update=lock or None)


async def open_for(session: AsyncSession, *, person_id: int) -> SubjectAccessRequest | None:
    """The person's open request, if any (there is at most one)."""
    stmt = select(SubjectAccessRequest).where(
        SubjectAccessRequest.person_id == person_id,
        SubjectAccessRequest.status == SarStatus.OPEN,
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def open_with_reference(session: AsyncSession) -> list[tuple[SubjectAccessRequest, str]]:
    """Every open request with its case reference, soonest due first."""
    stmt = (
        select(SubjectAccessRequest, Person.reference)
        .join(Person, Person.id == SubjectAccessRequest.person_id)
        .where(SubjectAccessRequest.status == SarStatus.OPEN)
        .order_by(SubjectAccessRequest.due_on, SubjectAccessRequest.id)
    )
    return [(request, reference) for request, reference in (await session.execute(stmt)).all()]


async def people_with_open_request(session: AsyncSession) -> set[int]:
    """The people (ids) whose subject access request is still being answered."""
    stmt = select(SubjectAccessRequest.person_id).where(
        SubjectAccessRequest.status == SarStatus.OPEN
    )
    return set((await session.execute(stmt)).scalars())


async def every_request(session: AsyncSession) -> list[SubjectAccessRequest]:
    """Every request ever recorded, open or closed."""
    return list((await session.execute(select(SubjectAccessRequest))).scalars())
