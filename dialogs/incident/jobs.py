"""s6: violence used or threatened is always reported to the police; chase a referral
that is not recorded, in office hours, step by step (dialogs/incident/police.py), until the
authorisers are told."""

from __future__ import annotations

from dialogs.change import Change
from dialogs.incident import police
from dialogs.incident.follow_up import load
from dialogs.jobs.payloads import PoliceReferralNudge
from dialogs.kinds import Template
from dialogs.office_hours import next_opening
from storage import incidents as incidents_repo
from storage import staff as staff_repo
from storage.models import StaffMember


async def police_nudge(uow: Change, job: PoliceReferralNudge) -> str:
    if await incidents_repo.get(uow.session, incident_id=job.incident_id) is None:
        return "skipped: the incident is gone"
    loaded = await load(uow.session, job.incident_id)
    incident, policy = loaded.incident, uow.ctx.policy
    if await incidents_repo.referrals_on(uow.session, incident_id=job.incident_id):
        return "skipped: a police referral is recorded"
    if police.decided_not_to_refer(incident):
        return "skipped: an authoriser recorded why it is not being reported"
    if loaded.person.anonymised_at is not None:
        return "skipped: the case is anonymised"
    escalated = police.is_escalation(job.step, policy)
    told: dict[int, StaffMember] = {m.id: m for m in loaded.deciders.people}
    if escalated:
        for member in await staff_repo.with_role(uow.session, role="authoriser"):
            if member.id != incident.reporter_id:
                told.setdefault(member.id, member)
    days = (uow.now - incident.created_at).days
    held = next_opening(uow.now, policy)
    for member in told.values():
        model = {
            "reference": loaded.person.reference,
            "incident_id": incident.id,
            "said": police.reminder_words(
                loaded.person.reference,
                uow.ctx.local(incident.occurred_at),
                days,
                escalated=escalated,
            ),
            "escalated": escalated,
            "may_decide_not": police.may_decide_not_to_refer(member, incident),
        }
        await uow.tell(member, Template.POLICE_NUDGE, model, origin=None, not_before=held)
    if not escalated:
        following = job.step + 1
        await uow.schedule(
            PoliceReferralNudge(incident_id=incident.id, step=following),
            due_at=police.due(following, incident.created_at, policy),
        )
    what = "escalated to the authorisers" if escalated else "reminder"
    return f"police referral {what}: sent to {len(told)} people"
