"""s6: violence used or threatened is always reported to the police; chase a referral
that is not recorded. Urgent: never held for office hours."""

from __future__ import annotations

from dialogs.change import Change
from dialogs.incident.follow_up import load
from dialogs.jobs.payloads import PoliceReferralNudge
from dialogs.kinds import Template
from storage import incidents as incidents_repo


async def police_nudge(uow: Change, job: PoliceReferralNudge) -> str:
    if await incidents_repo.get(uow.session, incident_id=job.incident_id) is None:
        return "skipped: the incident is gone"
    loaded = await load(uow.session, job.incident_id)
    if await incidents_repo.referrals_on(uow.session, incident_id=job.incident_id):
        return "skipped: a police referral is recorded"
    model = {
        "reference": loaded.person.reference,
        "incident_id": loaded.incident.id,
        "occurred_at": uow.ctx.local(loaded.incident.occurred_at),
    }
    for member in loaded.deciders.people:
        await uow.tell(member, Template.POLICE_NUDGE, model)
    return f"police referral reminder sent to {len(loaded.deciders.people)} people"
