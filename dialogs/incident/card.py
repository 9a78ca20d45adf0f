"""The incident card the manager acts on, the reporter's receipt, and who gets the card."""

from __future__ import annotations

from typing import Any

from dialogs import catalogue as cat
from dialogs.context import Ctx
from dialogs.incident.rules import Deciders, deciders
from dialogs.people import outset
from storage import incidents as incidents_repo
from storage import staff as staff_repo
from storage.db import AsyncSession
from storage.models import Incident, Person, StaffMember


def card_key(incident_id: int) -> str:
    return f"incident:{incident_id}"


async def recipients(session: AsyncSession, *, reporter: StaffMember) -> Deciders:
    """Who gets the reporter's incident cards (incident.rules.deciders, from the directory)."""
    manager = await staff_repo.manager_of(session, member=reporter)
    if manager is not None:
        return deciders(reporter, manager, [], [])
    authorisers = [
        a for a in await staff_repo.with_role(session, role="authoriser") if a.id != reporter.id
    ]
    admins = [] if authorisers else await staff_repo.with_role(session, role="admin")
    return deciders(reporter, None, authorisers, admins)


def card_model(
    ctx: Ctx,
    incident: Incident,
    person: Person,
    reporter: StaffMember,
    told: Deciders,
    *,
    acknowledged_by: StaffMember | None = None,
    records: list[str] | None = None,
    strategy: str | None = None,
) -> dict[str, Any]:
    """The manager's card. `strategy` is the person's standing ("pending", "active" or
    None, storage.strategies.standing): Propose is offered only when it is None."""
    groups = []
    for group in cat.BEHAVIOUR_GROUPS:
        chosen = [
            cat.behaviour_text(i.id, incident.other_behaviour)
            for i in cat.read_items(group)
            if i.id in incident.behaviours
        ]
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
        "fallback": told.fallback,
        "acknowledged": (
            {"by": acknowledged_by.name, "at": ctx.local(incident.acknowledged_at)}
            if acknowledged_by is not None and incident.acknowledged_at is not None
            else None
        ),
        "records": records or [],
        # s5: until they have been asked, the card asks the manager to ask them.
        "person_id": person.id,
        "needs_not_asked": None if outset.asked(person) else outset.NOT_ASKED,
        # s1: offered only where there is somewhere to point them.
        "may_signpost": bool(ctx.organisation.other_bodies),
        "strategy": strategy,
    }


async def follow_up_lines(session: AsyncSession, ctx: Ctx, incident: Incident) -> list[str]:
    """One line per follow-up recorded on an incident, for the card's updated state."""
    lines: list[str] = []
    for w, who in await incidents_repo.warnings_on(session, incident_id=incident.id):
        kind = "Written" if w.kind == "written" else "Verbal"
        lines.append(f"{kind} warning given {w.given_on:%d %b %Y}, recorded by {who.name}")
    for body, who in await incidents_repo.signposted(session, incident_id=incident.id):
        lines.append(f"Not ours to handle (s1): signposted to {body} by {who.name}")
    for r, who in await incidents_repo.referrals_on(session, incident_id=incident.id):
        lines.append(
            f"Police referral {r.police_reference} on {r.referred_on:%d %b %Y}, "
            f"recorded by {who.name}"
        )
    if incident.police_not_referred_at is not None:
        decider = await session.get(StaffMember, incident.police_not_referred_by_id)
        lines.append(
            f"Not reported to the police, decided by {decider.name if decider else 'an authoriser'}"
            f" on {incident.police_not_referred_at.astimezone(ctx.zone):%d %b %Y}: "
            f"{incident.police_not_referred_reason}"
        )
    return lines


def receipt_model(ctx: Ctx, incident: Incident, person: Person, told: Deciders) -> dict[str, Any]:
    return {
        "reference": person.reference,
        "person_name": person.name,
        "occurred_at": ctx.local(incident.occurred_at),
        "told": told.description,
        "police_required": incident.violence,
    }
