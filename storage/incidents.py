"""Incidents and what is recorded on them: warnings and police referrals (s6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from storage.db import AsyncSession
from storage.models import Incident, Letter, Matter, PoliceReferral, StaffMember, Warning
from storage.models.status import WarningKind


async def get(session: AsyncSession, *, incident_id: Any) -> Incident | None:
    if not isinstance(incident_id, int) or isinstance(incident_id, bool):
        return None
    return await session.get(Incident, incident_id)


async def of_person(session: AsyncSession, *, person_id: int) -> list[Incident]:
    """A person's incidents, oldest first."""
    stmt = select(Incident).where(Incident.person_id == person_id).order_by(Incident.occurred_at)
    return list((await session.execute(stmt)).scalars())


async def count_of_person(session: AsyncSession, *, person_id: int) -> int:
    stmt = select(func.count()).select_from(Incident).where(Incident.person_id == person_id)
    return (await session.execute(stmt)).scalar_one()


async def acknowledge(
    session: AsyncSession, *, incident: Incident, by: StaffMember, at: datetime
) -> bool:
    """Record the first acknowledgement in one conditional UPDATE; False if someone was first."""
    result = await session.execute(
        update(Incident)
        .where(Incident.id == incident.id, Incident.acknowledged_at.is_(None))
        .values(acknowledged_by_id=by.id, acknowledged_at=at)
    )
    await session.refresh(incident)
    return bool(result.rowcount)


async def warnings_of_person(session: AsyncSession, *, person_id: int) -> list[Warning]:
    stmt = select(Warning).where(Warning.person_id == person_id).order_by(Warning.given_on)
    return list((await session.execute(stmt)).scalars())


async def warnings_given(session: AsyncSession, *, person_id: int) -> list[Warning]:
    """The warnings that count as given (s6): a verbal one once recorded; a written one
    only once its letter is recorded as sent, since until then they have not been told."""
    sent = select(Letter.id).where(Letter.warning_id == Warning.id, Letter.sent_on.is_not(None))
    stmt = (
        select(Warning)
        .where(Warning.person_id == person_id)
        .where(or_(Warning.kind != WarningKind.WRITTEN, sent.exists()))
        .order_by(Warning.given_on)
    )
    return list((await session.execute(stmt)).scalars())


async def warnings_on(
    session: AsyncSession, *, incident_id: int
) -> list[tuple[Warning, StaffMember]]:
    """The warnings recorded on one incident, with who recorded each."""
    stmt = (
        select(Warning, StaffMember)
        .join(StaffMember, StaffMember.id == Warning.recorded_by_id)
        .where(Warning.incident_id == incident_id)
        .order_by(Warning.id)
    )
    return [(w, who) for w, who in (await session.execute(stmt)).all()]


async def referrals_on(
    session: AsyncSession, *, incident_id: int
) -> list[tuple[PoliceReferral, StaffMember]]:
    """The police referrals recorded on one incident, with who recorded each."""
    stmt = (
        select(PoliceReferral, StaffMember)
        .join(StaffMember, StaffMember.id == PoliceReferral.recorded_by_id)
        .where(PoliceReferral.incident_id == incident_id)
        .order_by(PoliceReferral.id)
    )
    return [(r, who) for r, who in (await session.execute(stmt)).all()]


async def referral_count(session: AsyncSession, *, person_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(PoliceReferral)
        .where(PoliceReferral.person_id == person_id)
    )
    return (await session.execute(stmt)).scalar_one()


async def referred_incident_ids(session: AsyncSession, *, person_id: int) -> set[int]:
    """The incidents of a person that have a police referral recorded against them."""
    stmt = select(PoliceReferral.incident_id).where(
        PoliceReferral.person_id == person_id, PoliceReferral.incident_id.is_not(None)
    )
    return {i for i in (await session.execute(stmt)).scalars().all() if i is not None}


async def signposted(session: AsyncSession, *, incident_id: int) -> list[tuple[str, StaffMember]]:
    """The bodies a report's matter was signposted to as not the office's (s1), and by whom."""
    stmt = (
        select(Matter.signposted_to, StaffMember)
        .join(StaffMember, StaffMember.id == Matter.closed_by_id)
        .where(Matter.incident_id == incident_id, Matter.signposted_to.is_not(None))
        .order_by(Matter.id)
    )
    return [(body, who) for body, who in (await session.execute(stmt)).all()]


def police_open(*, by: datetime | None = None) -> ColumnElement[bool]:
    """s6, "we will always do this": a report of violence used or threatened with neither a
    referral nor an authoriser's reason for not making one on file; `by`, as it stood then
    (the oversight report's month end). The one home of the rule in SQL; the same test on
    a loaded row is dialogs/incident/police.outstanding."""
    referral = select(PoliceReferral.id).where(PoliceReferral.incident_id == Incident.id)
    decided: ColumnElement[bool] = Incident.police_not_referred_at.is_not(None)
    made: list[ColumnElement[bool]] = []
    if by is not None:
        referral = referral.where(PoliceReferral.created_at < by)
        decided = and_(decided, Incident.police_not_referred_at < by)
        made = [Incident.created_at < by]
    return and_(Incident.violence.is_(True), ~referral.exists(), ~decided, *made)
