"""The App Home: a staff member's own open items, so nothing waits unseen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, select

from dialogs.context import Ctx
from storage.models import Incident, OutboxMessage, Person, StaffMember

RECENT = 10


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
    }
