"""What the monthly oversight report counts (s7.1, s5, s9), read as rows.

The report is computed from these by pure rules in dialogs/records/report/; the reads
are plain and whole (every dispute, every authorisation) or bounded by the moments the
report covers, so one report reads a few tables once, however many people it counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from storage import incidents
from storage import models as m
from storage.db import AsyncSession
from storage.models.status import AuthorisationKind


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.execute(stmt)).scalars())


async def _between(
    session: AsyncSession, column: Any, *, start: datetime, end: datetime
) -> list[Any]:
    """The rows of `column`'s table whose `column` falls in [start, end)."""
    model = column.class_
    return await _all(session, select(model).where(column >= start, column < end))


async def people(session: AsyncSession) -> dict[int, m.Person]:
    """Every member of the public, by id."""
    return {p.id: p for p in await _all(session, select(m.Person))}


async def strategies_activated(session: AsyncSession) -> list[m.ContactStrategy]:
    """Every strategy that was ever in force, with its restrictions."""
    stmt = select(m.ContactStrategy).where(m.ContactStrategy.activated_at.is_not(None))
    return await _all(session, stmt)


async def strategy_people(session: AsyncSession) -> dict[int, int]:
    """Every strategy's person (breaches and decisions point at strategies)."""
    stmt = select(m.ContactStrategy.id, m.ContactStrategy.person_id)
    return {sid: pid for sid, pid in (await session.execute(stmt)).all()}


async def incidents_between(
    session: AsyncSession, *, start: datetime, end: datetime
) -> list[m.Incident]:
    """Incidents that happened in [start, end)."""
    return await _between(session, m.Incident.occurred_at, start=start, end=end)


async def police_referrals_open_at(
    session: AsyncSession, *, end: datetime
) -> list[tuple[m.Incident, str]]:
    """Reports of violence used or threatened made before `end` with neither a referral
    nor an authoriser's reason for not making one recorded by then (s6); each with its
    case reference. A referral recorded later does not change an earlier month's report."""
    stmt = (
        select(m.Incident, m.Person.reference)
        .join(m.Person, m.Person.id == m.Incident.person_id)
        .where(incidents.police_open(by=end))
        .order_by(m.Incident.created_at)
    )
    return [(i, ref) for i, ref in (await session.execute(stmt)).all()]


async def breaches_between(
    session: AsyncSession, *, start: datetime, end: datetime
) -> list[m.Breach]:
    """Breaches that happened in [start, end)."""
    return await _between(session, m.Breach.occurred_at, start=start, end=end)


async def sharing_requests_between(
    session: AsyncSession, *, start: datetime, end: datetime
) -> list[m.SharingRequest]:
    """Sharing requests made in [start, end)."""
    return await _between(session, m.SharingRequest.created_at, start=start, end=end)


async def disclosures_between(session: AsyncSession, *, start: datetime, end: datetime) -> int:
    """How many disclosures were made in [start, end)."""
    at = m.Disclosure.disclosed_at
    stmt = select(func.count()).select_from(m.Disclosure).where(at >= start, at < end)
    return (await session.execute(stmt)).scalar_one()


async def sharing_decisions(session: AsyncSession) -> dict[int, str]:
    """Each sharing request's authorisation status (the latest request's, if several)."""
    stmt = (
        select(m.Authorisation)
        .where(m.Authorisation.kind == AuthorisationKind.SHARING)
        .order_by(m.Authorisation.id)
    )
    return {a.sharing_request_id: a.status for a in await _all(session, stmt)}


async def disputes(session: AsyncSession) -> list[m.Dispute]:
    """Every dispute, decided or not."""
    return await _all(session, select(m.Dispute))


async def authorisations(session: AsyncSession) -> list[m.Authorisation]:
    """Every authorisation request, decided or not."""
    return await _all(session, select(m.Authorisation))
