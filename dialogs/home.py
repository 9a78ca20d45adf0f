"""The App Home: a staff member's own open items, so nothing waits unseen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.context import Ctx
from storage.models import (
    Authorisation,
    ContactStrategy,
    Dispute,
    Incident,
    OutboxMessage,
    Person,
    SharingRequest,
    StaffMember,
)

RECENT = 10
# What an authorisation card asks for, in the App Home's words.
REQUESTS = {
    "strategy": "a contact strategy",
    "change": "a change to a contact strategy",
    "sharing": "sharing information with another agency",
}


async def home(ctx: Ctx, *, actor: StaffMember) -> dict[str, Any]:
    async with ctx.db.read() as session:
        mine = (
            await session.execute(
                select(Incident, Person)
                .join(Person, Person.id == Incident.person_id)
                .where(Incident.reporter_id == actor.id)
                .order_by(Incident.created_at.desc())
                .limit(RECENT)
            )
        ).all()
        # Incident cards this person received and nobody has acknowledged yet.
        card_keys = select(OutboxMessage.card_key).where(
            OutboxMessage.recipient_id == actor.id,
            OutboxMessage.kind == "message",
            OutboxMessage.card_key.like("incident:%"),
        )
        awaiting = (
            await session.execute(
                select(Incident, Person, StaffMember)
                .join(Person, Person.id == Incident.person_id)
                .join(StaffMember, StaffMember.id == Incident.reporter_id)
                .where(
                    Incident.acknowledged_at.is_(None),
                    ("incident:" + Incident.id.cast(String)).in_(card_keys),
                )
                .order_by(Incident.created_at)
            )
        ).all()
        requests = await _requests_for(session, actor)
        disputes = await _disputes_for(session, actor)
    return {
        "name": actor.name,
        "reports": [
            {
                "reference": p.reference,
                "occurred_at": ctx.local(i.occurred_at),
                "status": "acknowledged" if i.acknowledged_at else "waiting for your manager",
            }
            for i, p in mine
        ],
        "awaiting": [
            {
                "incident_id": i.id,
                "reference": p.reference,
                "reporter": r.name,
                "occurred_at": ctx.local(i.occurred_at),
                "police_required": i.violence,
            }
            for i, p, r in awaiting
        ],
        # s7: requests this person was asked to authorise that nobody has decided yet.
        "requests": [
            {
                "reference": p.reference,
                "what": REQUESTS.get(a.kind, a.kind),
                "requested_by": r.name,
                "requested_at": ctx.local(a.created_at),
            }
            for a, p, r in requests
        ],
        # s7.3: disputes this person was asked to consider and has not decided.
        "disputes": [
            {
                "dispute_id": d.id,
                "reference": p.reference,
                "received_on": f"{d.received_on:%d %b %Y}",
            }
            for d, p in disputes
        ],
    }


async def _requests_for(session: AsyncSession, actor: StaffMember) -> list[Any]:
    cards = select(OutboxMessage.card_key).where(
        OutboxMessage.recipient_id == actor.id,
        OutboxMessage.kind == "message",
        OutboxMessage.card_key.like("authorisation:%"),
    )
    person_id = func.coalesce(ContactStrategy.person_id, SharingRequest.person_id)
    return list(
        (
            await session.execute(
                select(Authorisation, Person, StaffMember)
                .outerjoin(ContactStrategy, ContactStrategy.id == Authorisation.strategy_id)
                .outerjoin(SharingRequest, SharingRequest.id == Authorisation.sharing_request_id)
                .join(Person, Person.id == person_id)
                .join(StaffMember, StaffMember.id == Authorisation.requested_by_id)
                .where(
                    Authorisation.status == "pending",
                    ("authorisation:" + Authorisation.id.cast(String)).in_(cards),
                )
                .order_by(Authorisation.created_at)
            )
        ).all()
    )


async def _disputes_for(session: AsyncSession, actor: StaffMember) -> list[Any]:
    return list(
        (
            await session.execute(
                select(Dispute, Person)
                .join(ContactStrategy, ContactStrategy.id == Dispute.strategy_id)
                .join(Person, Person.id == ContactStrategy.person_id)
                .where(Dispute.decider_id == actor.id, Dispute.outcome.is_(None))
                .order_by(Dispute.created_at)
            )
        ).all()
    )
