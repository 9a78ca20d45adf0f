"""What is waiting for a member of staff: the queries behind the App Home and `waiting`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, select

from storage import incidents
from storage.db import AsyncSession
from storage.models import (
    Authorisation,
    ContactStrategy,
    Dispute,
    Incident,
    Letter,
    OutboxMessage,
    Person,
    SharingRequest,
    StaffMember,
)
from storage.models.status import AuthorisationStatus, OutboxKind


def _cards_to(recipient_id: int, prefix: str) -> Any:
    """The keys of the cards of one kind sent to someone ("incident:", "authorisation:")."""
    return select(OutboxMessage.card_key).where(
        OutboxMessage.recipient_id == recipient_id,
        OutboxMessage.kind == OutboxKind.MESSAGE,
        OutboxMessage.card_key.like(prefix + "%"),
    )


async def reported_by(
    session: AsyncSession, *, staff_id: int, limit: int
) -> list[tuple[Incident, Person]]:
    stmt = (
        select(Incident, Person)
        .join(Person, Person.id == Incident.person_id)
        .where(Incident.reporter_id == staff_id)
        .order_by(Incident.created_at.desc())
        .limit(limit)
    )
    return [(i, p) for i, p in (await session.execute(stmt)).all()]


async def unacknowledged_cards(
    session: AsyncSession, *, staff_id: int
) -> list[tuple[Incident, Person, StaffMember]]:
    """Incident cards this person received that nobody has acknowledged yet."""
    stmt = (
        select(Incident, Person, StaffMember)
        .join(Person, Person.id == Incident.person_id)
        .join(StaffMember, StaffMember.id == Incident.reporter_id)
        .where(
            Incident.acknowledged_at.is_(None),
            ("incident:" + Incident.id.cast(String)).in_(_cards_to(staff_id, "incident:")),
        )
        .order_by(Incident.created_at)
    )
    return [(i, p, r) for i, p, r in (await session.execute(stmt)).all()]


def _police_outstanding() -> Any:
    """Reports of violence used or threatened with neither a referral nor an authoriser's
    reason for not making one on file (s6; dialogs/incident/police.py)."""
    return (
        select(Incident, Person, StaffMember)
        .join(Person, Person.id == Incident.person_id)
        .join(StaffMember, StaffMember.id == Incident.reporter_id)
        .where(incidents.police_open(), Person.anonymised_at.is_(None))
        .order_by(Incident.created_at)
    )


async def police_referrals_outstanding(
    session: AsyncSession, *, staff_id: int | None = None
) -> list[tuple[Incident, Person, StaffMember]]:
    """Every outstanding police referral, or (`staff_id`) those whose incident card this
    person received; each with its person and reporter."""
    stmt = _police_outstanding()
    if staff_id is not None:
        stmt = stmt.where(
            ("incident:" + Incident.id.cast(String)).in_(_cards_to(staff_id, "incident:"))
        )
    return [(i, p, r) for i, p, r in (await session.execute(stmt)).all()]


async def undecided_requests(
    session: AsyncSession, *, staff_id: int
) -> list[tuple[Authorisation, Person, StaffMember]]:
    """Requests this person was sent to authorise that nobody has decided yet (s7)."""
    person_id = func.coalesce(ContactStrategy.person_id, SharingRequest.person_id)
    stmt = (
        select(Authorisation, Person, StaffMember)
        .outerjoin(ContactStrategy, ContactStrategy.id == Authorisation.strategy_id)
        .outerjoin(SharingRequest, SharingRequest.id == Authorisation.sharing_request_id)
        .join(Person, Person.id == person_id)
        .join(StaffMember, StaffMember.id == Authorisation.requested_by_id)
        .where(
            Authorisation.status == AuthorisationStatus.PENDING,
            ("authorisation:" + Authorisation.id.cast(String)).in_(
                _cards_to(staff_id, "authorisation:")
            ),
        )
        .order_by(Authorisation.created_at)
    )
    return [(a, p, r) for a, p, r in (await session.execute(stmt)).all()]


async def undecided_disputes_for(
    session: AsyncSession, *, staff_id: int
) -> list[tuple[Dispute, Person]]:
    """Disputes this person was asked to consider and has not decided (s7.3)."""
    stmt = (
        select(Dispute, Person)
        .join(ContactStrategy, ContactStrategy.id == Dispute.strategy_id)
        .join(Person, Person.id == ContactStrategy.person_id)
        .where(Dispute.decider_id == staff_id, Dispute.outcome.is_(None))
        .order_by(Dispute.created_at)
    )
    return [(d, p) for d, p in (await session.execute(stmt)).all()]


async def unsent_letters(session: AsyncSession, *, staff_id: int) -> list[tuple[Letter, Person]]:
    """Letters handed to this person to send that have no sending record yet (s6, s7)."""
    stmt = (
        select(Letter, Person)
        .join(Person, Person.id == Letter.person_id)
        .where(
            Letter.sent_on.is_(None),
            ("letter:" + Letter.id.cast(String)).in_(_cards_to(staff_id, "letter:")),
        )
        .order_by(Letter.created_at, Letter.id)
    )
    return [(letter, p) for letter, p in (await session.execute(stmt)).all()]
