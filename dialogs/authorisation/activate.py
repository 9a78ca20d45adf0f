"""An approved strategy: its letter, then in force once the person has been told (s6, s7).

Approval makes a strategy APPROVED, not ACTIVE: s6 "we will advise the individual prior to
putting any restrictions in place" and s7 "We will then advise a member of the public in
writing". It takes effect (`take_effect`) when its letter is recorded as sent
(dialogs.letters.record_sent), or on the later date the authoriser set; only then are
staff told, the review date counted and its reminders stored.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dialogs.change import Change
from dialogs.jobs.payloads import ReviewOverdue, ReviewReminder
from dialogs.kinds import AuditAction, LetterKind, Template
from dialogs.strategy.letter import keep_letter
from dialogs.strategy.rules import spoc_id
from dialogs.strategy.view import in_force_summary
from storage import staff as staff_repo
from storage.models import ContactStrategy, Incident, Person, StaffMember
from storage.models.status import StrategyStatus


async def approve(
    uow: Change,
    strategy: ContactStrategy,
    person: Person,
    proposer: StaffMember,
    decider: StaffMember,
) -> None:
    """Authorised, awaiting notice: the letter is kept and handed to the proposer to send (s7).

    Nothing is restricted yet: no staff are told, no breach can be recorded and no review
    is counted until the letter is recorded as sent.
    """
    strategy.status = StrategyStatus.APPROVED
    if strategy.review_after_days is None:
        # The review period the proposer chose, counted again from the day it takes effect.
        strategy.review_after_days = max((strategy.review_date - uow.ctx.today).days, 1)
    # Until then, the review date as if it took effect on its earliest day (the letter's).
    start = max(uow.ctx.today, strategy.takes_effect_on or uow.ctx.today)
    strategy.review_date = start + timedelta(days=strategy.review_after_days)
    person.last_activity_at = uow.now
    names = await staff_repo.names(uow.session)
    await uow.tell(
        proposer,
        Template.DECISION_NOTICE,
        {
            "reference": person.reference,
            "what": "contact strategy",
            "outcome": "approved",
            "by": decider.name,
            "reason": "",
            "revise_id": None,
            "takes_effect_on": _day(strategy.takes_effect_on),
        },
    )
    await keep_letter(
        uow,
        LetterKind.STRATEGY,
        strategy,
        person,
        deliver_to=proposer,
        names=names,
        filename=f"{person.reference}-contact-strategy.html",
        about=f"The letter telling {person.name} about the contact strategy.",
    )


def _day(day: date | None) -> str:
    return day.strftime("%d %B %Y") if day else ""


async def take_effect(uow: Change, strategy: ContactStrategy, *, on: date) -> None:
    """Put an approved strategy in force from `on`: its review date counted from then, its
    reminders stored, an alteration's predecessor closed, and staff told (s7, s7.1)."""
    person = await uow.session.get(Person, strategy.person_id)
    proposer = await uow.session.get(StaffMember, strategy.proposer_id)
    assert person is not None and proposer is not None
    strategy.status = StrategyStatus.ACTIVE
    strategy.activated_at = uow.now
    if strategy.review_after_days:
        strategy.review_date = on + timedelta(days=strategy.review_after_days)
    person.last_activity_at = uow.now
    if strategy.supersedes_id is not None:
        old = await uow.session.get(ContactStrategy, strategy.supersedes_id)
        if old is not None and old.status == StrategyStatus.ACTIVE:
            old.status = StrategyStatus.ALTERED
            old.ended_at = uow.now
    await schedule_review_reminders(uow, strategy)
    await uow.audit(
        AuditAction.STRATEGY_IN_FORCE,
        strategy,
        case=person.reference,
        on=on.isoformat(),
        review_date=strategy.review_date.isoformat(),
    )
    names = await staff_repo.names(uow.session)
    await _tell_staff(uow, strategy, person, proposer, names)


async def _tell_staff(
    uow: Change,
    strategy: ContactStrategy,
    person: Person,
    proposer: StaffMember,
    names: dict[int, str],
) -> None:
    """s7.1: staff must keep to the strategy too; those who deal with the person are told,
    the proposer among them, now that it is in force."""
    told = {proposer.id}
    summary = {"reference": person.reference, **in_force_summary(strategy, names)}
    actor = uow.actor
    if not (isinstance(actor, StaffMember) and actor.id == proposer.id):
        # Whoever recorded the letter sent is answered there; a proposer not present is told.
        await uow.tell(
            proposer, Template.STRATEGY_IN_FORCE, {**summary, "role": "You proposed it."}
        )
    spoc = spoc_id(strategy)
    if spoc and spoc not in told:
        member = await uow.session.get(StaffMember, spoc)
        if member is not None:
            role = "You are their single point of contact."
            await uow.tell(member, Template.STRATEGY_IN_FORCE, {**summary, "role": role})
            told.add(spoc)
    for incident_id in strategy.incident_ids:
        incident = await uow.session.get(Incident, incident_id)
        if incident is None:
            continue
        reporter = await uow.session.get(StaffMember, incident.reporter_id)
        manager = await staff_repo.manager_of(uow.session, member=reporter) if reporter else None
        if manager is not None and manager.id not in told:
            role = "It follows an incident one of your team reported."
            await uow.tell(manager, Template.STRATEGY_IN_FORCE, {**summary, "role": role})
            told.add(manager.id)


async def schedule_review_reminders(uow: Change, strategy: ContactStrategy) -> None:
    """Store the review reminders (s7.1); the scheduler delivers them in office hours."""
    policy, zone = uow.ctx.policy, uow.ctx.zone
    opening = policy.office_hours_start
    for lead in policy.review_reminder_days:
        day = strategy.review_date - timedelta(days=lead)
        if day < uow.ctx.today:
            continue  # its day has passed; today's still goes (a review set 14 days out)
        due = datetime.combine(day, opening, tzinfo=zone)
        await uow.schedule(
            ReviewReminder(
                strategy_id=strategy.id, review_date=strategy.review_date, lead_days=lead
            ),
            due_at=due,
        )
    first_overdue = strategy.review_date + timedelta(days=policy.overdue_reminder_every_days)
    await uow.schedule(
        ReviewOverdue(strategy_id=strategy.id, review_date=strategy.review_date),
        due_at=datetime.combine(first_overdue, opening, tzinfo=zone),
    )
