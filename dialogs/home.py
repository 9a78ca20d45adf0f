"""What is waiting for someone: the Slack App Home, and `waiting` on Teams.

A staff member's own reports, and everything they must act on, so nothing waits unseen.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from dialogs.incident import police
from dialogs.incident.rules import WAITING_MEANS, awaits_acknowledgement
from dialogs.interactions import Card, Command, Reply, Turn
from dialogs.kinds import Template
from storage import strategies as strategies_repo
from storage import waiting

RECENT = 10
# What an authorisation card asks for, in the App Home's words.
REQUESTS = {
    "strategy": "a contact strategy",
    "change": "a change to a contact strategy",
    "sharing": "sharing information with another agency",
}


async def home(turn: Turn, *_: Any) -> Reply:
    ctx, actor = turn.ctx, turn.actor
    async with ctx.db.read() as session:
        mine = await waiting.reported_by(session, staff_id=actor.id, limit=RECENT)
        awaiting = [
            (i, p, r)
            for i, p, r in await waiting.unacknowledged_cards(session, staff_id=actor.id)
            if awaits_acknowledgement(
                i.created_at.replace(tzinfo=i.created_at.tzinfo or UTC),
                ctx.now,
                strategy_in_force=await strategies_repo.in_force(session, person_id=p.id)
                is not None,
            )
        ]
        requests = await waiting.undecided_requests(session, staff_id=actor.id)
        disputes = await waiting.undecided_disputes_for(session, staff_id=actor.id)
        unsent = await waiting.unsent_letters(session, staff_id=actor.id)
        # s6: an authoriser sees every report still to go to the police; anyone else,
        # those whose incident card came to them.
        authoriser = actor.has_role("authoriser")
        police_open = await waiting.police_referrals_outstanding(
            session, staff_id=None if authoriser else actor.id
        )
    model = {
        "name": actor.name,
        "waiting_means": WAITING_MEANS,
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
        "requests": [
            {
                "reference": p.reference,
                "what": REQUESTS.get(a.kind, a.kind),
                "requested_by": r.name,
                "requested_at": ctx.local(a.created_at),
            }
            for a, p, r in requests
        ],
        "disputes": [
            {
                "dispute_id": d.id,
                "reference": p.reference,
                "received_on": f"{d.received_on:%d %b %Y}",
            }
            for d, p in disputes
        ],
        "police": [
            {
                "incident_id": i.id,
                "reference": p.reference,
                "reporter": r.name,
                "occurred_at": ctx.local(i.occurred_at),
                "days": police.days_words((ctx.now - i.created_at).days),
                "may_decide_not": police.may_decide_not_to_refer(actor, i),
            }
            for i, p, r in police_open
            if r.id != actor.id
        ],
        # s6, s7: a restriction runs only once its letter is sent; each letter still to send.
        "letters": [
            {
                "letter_id": letter.id,
                "reference": p.reference,
                "subject": letter.subject,
                "written_on": ctx.local(letter.created_at),
            }
            for letter, p in unsent
        ],
    }
    return Reply(Card(Template.HOME, model))


INTERACTIONS = (
    Command(
        "waiting",
        "waiting",
        "What is waiting for you: reports to acknowledge, police reports to record, "
        "requests to authorise, disputes to decide, letters to send",
        home,
        slack=False,  # Slack shows it on the App Home
    ),
)
