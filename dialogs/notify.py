"""Who hears of what, and the view models of the messages they get.

Messages are queued in the outbox inside the caller's transaction; cards/ renders them
for whichever platform reaches the recipient when the delivery loop sends them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import catalogue as cat
from dialogs.context import Ctx
from storage import outbox
from storage import staff as staff_repo
from storage.models import (
    Incident,
    Person,
    PoliceReferral,
    StaffMember,
    Warning,
    WelfareCheckIn,
)


async def send(
    session: AsyncSession,
    *,
    to: StaffMember,
    template: str,
    model: dict[str, Any],
    card_key: str | None = None,
    origin: StaffMember | None = None,
    kind: str = "message",
    letter_id: int | None = None,
    not_before: datetime | None = None,
) -> None:
    """Queue a message to one member of staff, in the caller's transaction.

    `not_before` holds a reminder for office hours; alerts leave it unset and go at once.
    """
    await outbox.enqueue(
        session,
        recipient_id=to.id,
        template=template,
        model=model,
        card_key=card_key,
        kind=kind,
        letter_id=letter_id,
        origin_id=origin.id if origin is not None else None,
        not_before=not_before,
    )


@dataclass(frozen=True)
class Deciders:
    people: list[StaffMember]
    description: str
    fallback: bool


async def incident_card_recipients(session: AsyncSession, *, reporter: StaffMember) -> Deciders:
    """The reporter's manager (s6: "inform their manager"); without one, the authorisers."""
    manager = await staff_repo.manager_of(session, member=reporter)
    if manager is not None:
        return Deciders([manager], f"your manager, {manager.name}", False)
    authorisers = [
        a for a in await staff_repo.with_role(session, role="authoriser") if a.id != reporter.id
    ]
    if authorisers:
        return Deciders(authorisers, "the authorisers (you have no manager on file)", True)
    admins = [a for a in await staff_repo.with_role(session, role="admin") if a.id != reporter.id]
    return Deciders(admins, "the administrators (no manager or authoriser is on file)", True)


def incident_card_key(incident_id: int) -> str:
    return f"incident:{incident_id}"


def incident_card_model(
    ctx: Ctx,
    incident: Incident,
    person: Person,
    reporter: StaffMember,
    deciders: Deciders,
    *,
    acknowledged_by: StaffMember | None = None,
    records: list[str] | None = None,
) -> dict[str, Any]:
    groups = []
    for group in cat.BEHAVIOUR_GROUPS:
        chosen = [i.text for i in group.items if i.id in incident.behaviours]
        if chosen:
            groups.append({"label": group.label, "items": chosen})
    self_check = []
    for q in cat.SELF_CHECK:
        answer = incident.self_check.get(q.id, "na")
        self_check.append(
            {
                "question": q.label,
                "answer": cat.label(cat.SELF_CHECK_ANSWERS, answer),
                "shortcoming": answer == "no",
            }
        )
    return {
        "incident_id": incident.id,
        "reference": person.reference,
        "person_name": person.name,
        "reporter_name": reporter.name,
        "occurred_at": ctx.local(incident.occurred_at),
        "channel": cat.label(cat.CHANNELS, incident.channel),
        "behaviour_groups": groups,
        "what_happened": incident.what_happened,
        "impact": incident.impact,
        "actions": [cat.label(cat.ACTIONS_TAKEN, a) for a in incident.actions_taken],
        "police_required": incident.violence,
        "self_check": self_check,
        "shortcomings": sum(1 for s in self_check if s["shortcoming"]),
        "known_needs": incident.known_needs,
        "fallback": deciders.fallback,
        "acknowledged": (
            {"by": acknowledged_by.name, "at": ctx.local(incident.acknowledged_at)}
            if acknowledged_by is not None and incident.acknowledged_at is not None
            else None
        ),
        "records": records or [],
    }


async def incident_records(session: AsyncSession, ctx: Ctx, incident: Incident) -> list[str]:
    """One line per follow-up recorded on an incident, for the card's updated state."""
    lines: list[str] = []
    warnings = (
        await session.execute(
            select(Warning, StaffMember)
            .join(StaffMember, StaffMember.id == Warning.recorded_by_id)
            .where(Warning.incident_id == incident.id)
            .order_by(Warning.id)
        )
    ).all()
    for w, who in warnings:
        kind = "Written" if w.kind == "written" else "Verbal"
        lines.append(f"{kind} warning given {w.given_on:%d %b %Y}, recorded by {who.name}")
    referrals = (
        await session.execute(
            select(PoliceReferral, StaffMember)
            .join(StaffMember, StaffMember.id == PoliceReferral.recorded_by_id)
            .where(PoliceReferral.incident_id == incident.id)
            .order_by(PoliceReferral.id)
        )
    ).all()
    for r, who in referrals:
        lines.append(
            f"Police referral {r.police_reference} on {r.referred_on:%d %b %Y}, "
            f"recorded by {who.name}"
        )
    return lines


def checkin_model(checkin: WelfareCheckIn, *, answer: str | None = None) -> dict[str, Any]:
    intro = {
        "after_incident": "Thank you for reporting that. How are you after this?",
        "follow_up": "I'm checking in after the incident you reported. How are you now?",
        "self": "How are you doing?",
    }[checkin.kind]
    return {
        "checkin_id": checkin.id,
        "intro": intro,
        "answer": cat.label(cat.WELFARE_ANSWERS, answer) if answer else None,
    }
