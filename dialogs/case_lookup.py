"""`/case`: what a member of staff needs to know before answering someone (s7.1).

Shown privately to the asker: incidents, warnings and any active restrictions, so staff
keep to the strategy in force. Welfare data never appears here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dialogs import case_file, contact_log
from dialogs import catalogue as cat
from dialogs.breach import recent_breaches
from dialogs.context import Ctx
from dialogs.errors import BadRequest
from dialogs.policy_map import carries
from dialogs.review import may_review
from dialogs.strategy import may_propose
from dialogs.strategy_view import staff_names, strategy_summary
from storage.models import ContactStrategy, Incident, Person, PoliceReferral, StaffMember, Warning

MAX_QUERY = 100


async def lookup(ctx: Ctx, *, query: str, actor: StaffMember | None = None) -> dict[str, Any]:
    """A summary of one person, or the list of matches to choose from."""
    query = (query or "").strip()
    if not query:
        raise BadRequest("Tell me who to look up: `/case SC-2026-00042` or `/case <name>`.")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"Please search with at most {MAX_QUERY} characters.")
    async with ctx.db.read() as session:
        found = await case_file.find(session, query=query)
        if not found:
            return {"query": query, "matches": [], "summary": None}
        if len(found) > 1:
            return {
                "query": query,
                "matches": [{"reference": p.reference, "name": p.name} for p in found[:20]],
                "summary": None,
            }
        summary = await _summary(session, ctx, found[0], actor)
        summary["may_propose"] = actor is not None and may_propose(actor)
        return {"query": query, "matches": [], "summary": summary}


async def _summary(
    session: Any, ctx: Ctx, person: Person, actor: StaffMember | None
) -> dict[str, Any]:
    count = (
        await session.execute(
            select(func.count()).select_from(Incident).where(Incident.person_id == person.id)
        )
    ).scalar_one()
    last = (
        await session.execute(
            select(Incident)
            .where(Incident.person_id == person.id)
            .order_by(Incident.occurred_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    warnings = (
        await session.execute(
            select(Warning).where(Warning.person_id == person.id).order_by(Warning.given_on)
        )
    ).scalars()
    referrals = (
        await session.execute(
            select(func.count())
            .select_from(PoliceReferral)
            .where(PoliceReferral.person_id == person.id)
        )
    ).scalar_one()
    names = await staff_names(session)
    active = list(
        (
            await session.execute(
                select(ContactStrategy).where(
                    ContactStrategy.person_id == person.id, ContactStrategy.status == "active"
                )
            )
        ).scalars()
    )
    restrictions = []
    for s in active:
        # s7.1, s7.2: what staff need to monitor it, and whether this reader may review it.
        restrictions.append(
            {
                **await strategy_summary(session, ctx, s, names),
                "may_review": actor is not None and may_review(actor, s),
            }
        )
    return {
        "reference": person.reference,
        "name": person.name,
        "needs": person.additional_needs,
        "incident_count": count,
        "last_incident": (
            {
                "at": ctx.local(last.occurred_at),
                "channel": cat.label(cat.CHANNELS, last.channel),
                "behaviours": [cat.BEHAVIOURS[b][1].label for b in last.behaviours],
            }
            if last
            else None
        ),
        "warnings": [
            f"{'Written' if w.kind == 'written' else 'Verbal'} warning, {w.given_on:%d %b %Y}"
            for w in warnings
        ],
        "police_referrals": referrals,
        "person_id": person.id,
        "restrictions": restrictions,
        "recent_breaches": await recent_breaches(session, ctx, person.id) if active else 0,
        "breach_window_days": ctx.policy.breach_window_days,
        "contact_log": await contact_log.recent(session, ctx, person.id),
    }


POLICY = (
    carries(
        "7.1",
        "Staff keep to a strategy too: /case shows the restrictions in force, privately, "
        "before they answer someone.",
        "tests/test_slack_actions.py::test_case_lookup_is_private_and_shows_status",
    ),
)
