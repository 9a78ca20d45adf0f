"""s6, police, always: when a referral is outstanding, and when it is chased.

"We may report to the police any threats or use of physical violence, verbal abuse or
harassment made towards its staff. We will always do this if physical violence is used or
threatened." So a report of violence used or threatened keeps a referral open until one of
two things is recorded: the referral (the police reference, the date, who made it), or an
authoriser's reason why it is not being made. Until then the manager is reminded, in
office hours, at each step of the ladder below, and then the authorisers are told. One home
for the ladder and the test of "outstanding": the report schedules the first step, the job
each next one, and the App Home, `waiting` and the oversight report list what is open.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cards.wording import count
from dialogs.interactions import Who
from dialogs.office import PolicySettings
from dialogs.office_hours import next_opening
from storage.models import Incident, StaffMember

ONLY_AUTHORISERS = (
    "Only an authoriser can record that a police report will not be made (s6: the office "
    "always reports violence used or threatened)."
)
# Who may press "Not reporting to police", as the registry checks it before the flow does.
NOT_REFERRING = Who(lambda member: member.has_role("authoriser"), ONLY_AUTHORISERS)


def ladder(policy: PolicySettings) -> list[timedelta]:
    """How long after the report each step comes: the reminders, then the escalation."""
    return [
        timedelta(hours=policy.police_referral_nudge_hours),
        *(timedelta(days=d) for d in policy.police_referral_chase_days),
        timedelta(days=policy.police_referral_escalate_days),
    ]


def is_escalation(step: int, policy: PolicySettings) -> bool:
    return step >= len(ladder(policy)) - 1


def due(step: int, reported_at: datetime, policy: PolicySettings) -> datetime:
    """When a step is sent: its time after the report, held to the office's next opening."""
    return next_opening(reported_at + ladder(policy)[step], policy)


def decided_not_to_refer(incident: Incident) -> bool:
    return incident.police_not_referred_at is not None


def outstanding(incident: Incident, *, referred: bool) -> bool:
    """A report that must go to the police, with neither the referral nor the reason
    it is not being made on file."""
    return incident.violence and not referred and not decided_not_to_refer(incident)


def may_decide_not_to_refer(member: StaffMember, incident: Incident) -> bool:
    """An authoriser, never the person who reported it (s6, s7: decisions of this weight
    are the authorisers')."""
    return member.has_role("authoriser") and member.id != incident.reporter_id


def days_words(days: int) -> str:
    return "today" if days <= 0 else f"{count(days, 'day')} ago"


def reminder_words(reference: str, occurred_at: str, days: int, *, escalated: bool) -> str:
    """The reminder's one sentence, for every transport's card (plain text: the cards
    escape it and add their own emphasis)."""
    said = (
        f"Police report still needed for {reference} (incident of {occurred_at}, reported "
        f"{days_words(days)}): physical violence was used or threatened, and no police "
        "referral is recorded. The office always reports this (s6)."
    )
    if escalated:
        said += (
            " The reporter's manager has been reminded and it is still open, so it now comes "
            "to the authorisers: record the referral, or record why it is not being made."
        )
    return said
