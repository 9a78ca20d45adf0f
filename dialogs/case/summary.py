"""`/case`: what a member of staff needs to know before answering someone (s7.1).

Shown privately to the asker: incidents, warnings and any active restrictions, so staff
keep to the strategy in force. Welfare data never appears here.
"""

from __future__ import annotations

from typing import Any

from cards.wording import count
from dialogs import catalogue as cat
from dialogs.authorisation.rules import AUTHORISERS
from dialogs.breach.flow import recent_breaches
from dialogs.contact.flow import recent
from dialogs.context import Ctx
from dialogs.errors import BadRequest
from dialogs.further_action.flow import listed
from dialogs.incident import police
from dialogs.interactions import Card, Reply, Turn
from dialogs.kinds import Template
from dialogs.matter import flow as matter_flow
from dialogs.people import outset
from dialogs.review.rules import may_review
from dialogs.strategy.rules import may_propose
from dialogs.strategy.view import summary as strategy_summary
from storage import incidents as incidents_repo
from storage import notice as notice_repo
from storage import people as people_repo
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import Person, StaffMember, Warning
from storage.models.status import StrategyStatus, WarningKind

MAX_QUERY = 100
MAX_LISTED = 20


async def lookup(turn: Turn, query: str) -> Reply:
    """A summary of one person, or the list of matches to choose from."""
    query = (query or "").strip()
    if not query:
        raise BadRequest("Tell me who to look up: `/case SC-2026-00042` or `/case <name>`.")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"Please search with at most {MAX_QUERY} characters.")
    model: dict[str, Any] = {"query": query, "matches": [], "summary": None}
    async with turn.ctx.db.read() as session:
        found = await people_repo.find(session, query=query)
        if len(found) > 1:
            model["matches"] = [
                {"reference": p.reference, "name": p.name} for p in found[:MAX_LISTED]
            ]
        elif found:
            model["summary"] = await _summary(session, turn.ctx, found[0], turn.actor)
    return Reply(Card(Template.CASE_SUMMARY, model))


async def _summary(
    session: AsyncSession, ctx: Ctx, person: Person, actor: StaffMember
) -> dict[str, Any]:
    incidents = await incidents_repo.of_person(session, person_id=person.id)
    # Two in the same minute (as typed): the one reported later is the last.
    last = max(incidents, key=lambda i: (i.occurred_at, i.id), default=None)
    names = await staff_repo.names(session)
    referred = await incidents_repo.referred_incident_ids(session, person_id=person.id)
    active = await strategies_repo.in_force(session, person_id=person.id)
    standing = await strategies_repo.standing(session, person_id=person.id)
    restrictions = []
    if active is not None:
        # s7.1, s7.2: what staff need to monitor it, and whether this reader may review it.
        restrictions.append(
            {**strategy_summary(active, names), "may_review": may_review(actor, active)}
        )
    return {
        "reference": person.reference,
        "name": person.name,
        "needs": person.additional_needs,
        "needs_not_asked": None if outset.asked(person) else outset.NOT_ASKED,
        "matters": await matter_flow.open_ones(session, ctx, person.id),
        # s6: an informal single point of contact, before any restriction.
        "informal_spoc": (
            f"{names.get(person.spoc_staff_id, 'someone')}, since "
            f"{ctx.local(person.spoc_since)} (an informal step, s6)"
            if person.spoc_staff_id and person.spoc_since
            else None
        ),
        "may_appoint_spoc": may_propose(actor),
        "incident_count": len(incidents),
        "last_incident": (
            {
                "at": ctx.local(last.occurred_at),
                "channel": cat.label(cat.CHANNELS, last.channel),
                "behaviours": [
                    cat.behaviour_label(b, last.other_behaviour) for b in last.behaviours
                ],
            }
            if last
            else None
        ),
        "warnings": [
            _warning_line(w)
            for w in await incidents_repo.warnings_of_person(session, person_id=person.id)
        ],
        "police_referrals": police_line(
            await incidents_repo.referral_count(session, person_id=person.id),
            sum(1 for i in incidents if police.outstanding(i, referred=i.id in referred)),
            sum(1 for i in incidents if police.decided_not_to_refer(i)),
        ),
        "person_id": person.id,
        # s9: anonymised under the retention policy: closed for good, so no button is
        # offered that every flow would refuse (people_repo.get_live).
        "closed": person.anonymised_at is not None,
        "restrictions": restrictions,
        "recent_breaches": await recent_breaches(session, ctx, person.id) if active else 0,
        "breach_window_days": ctx.policy.breach_window_days,
        "contact_log": await recent(session, ctx, person.id),
        "further_actions": await listed(session, person.id),
        "may_record_further": AUTHORISERS.allows(actor),
        # Propose is offered only when nothing is in force or waiting (issue 12 item 7).
        "may_propose": may_propose(actor) and standing is None,
        "strategy_pending": standing == StrategyStatus.PENDING,
        # s6, s7: approved, awaiting notice: not in force until its letter is sent.
        "awaiting_notice": await _awaiting(session, person.id, names)
        if standing == StrategyStatus.APPROVED
        else None,
    }


async def _awaiting(
    session: AsyncSession, person_id: int, names: dict[int, str]
) -> dict[str, Any] | None:
    """An approved strategy not yet in force: what it will restrict, and when it may start."""
    strategy = await notice_repo.awaiting_notice(session, person_id=person_id)
    if strategy is None:
        return None
    return {
        "restrictions": strategy_summary(strategy, names)["restrictions"],
        "from_date": (
            strategy.takes_effect_on.strftime("%d %B %Y") if strategy.takes_effect_on else ""
        ),
    }


def _warning_line(warning: Warning) -> str:
    kind = "Written" if warning.kind == WarningKind.WRITTEN else "Verbal"
    return f"{kind} warning, {warning.given_on:%d %b %Y}"


def police_line(recorded: int, outstanding: int, not_made: int = 0) -> str:
    """Police referrals as /case says them: how many, and whether one is still required.

    s6: the office always reports physical violence used or threatened to the police, so
    an incident with violence and neither a referral nor an authoriser's reason for not
    making one recorded against it is one still to record (dialogs/incident/police.py).
    """
    done = f"{count(recorded, 'referral')} recorded" if recorded else "None recorded"
    if not_made:
        done += f"; {count(not_made, 'incident')} not reported, with an authoriser's reason"
    if outstanding:
        return (
            f"{done}; {count(outstanding, 'incident')} with violence used or threatened "
            "still needs one recorded (s6)"
        )
    return f"{done}; none required" if not not_made else done
