"""Putting an approved strategy in force (s7): the letter, reminders, and who is told."""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.change import Change
from dialogs.jobs.payloads import ReviewOverdue, ReviewReminder
from dialogs.kinds import LetterKind, Template
from dialogs.strategy.letter import keep_letter
from dialogs.strategy.rules import spoc_id
from dialogs.strategy.view import in_force_summary
from storage import staff as staff_repo
from storage.models import ContactStrategy, Incident, Person, StaffMember
from storage.models.status import StrategyStatus


async def activate(
    uow: Change,
    strategy: ContactStrategy,
    person: Person,
    proposer: StaffMember,
    decider: StaffMember,
) -> None:
    """Put an approved strategy in force: reminders, the letter, and everyone told (s7)."""
    strategy.status = StrategyStatus.ACTIVE
    strategy.activated_at = uow.now
    person.last_activity_at = uow.now
    if strategy.supersedes_id is not None:
        old = await uow.session.get(ContactStrategy, strategy.supersedes_id)
        if old is not None and old.status == StrategyStatus.ACTIVE:
            old.status = StrategyStatus.ALTERED
            old.ended_at = uow.now
    await schedule_review_reminders(uow, strategy)
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
    await _tell_staff(uow, strategy, person, proposer, decider, names)


async def _tell_staff(
    uow: Change,
    strategy: ContactStrategy,
    person: Person,
    proposer: StaffMember,
    decider: StaffMember,
    names: dict[int, str],
) -> None:
    """s7.1: staff must keep to the strategy too; those who deal with the person are told."""
    told = {proposer.id, decider.id}
    summary = {"reference": person.reference, **in_force_summary(strategy, names)}
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
        due = datetime.combine(strategy.review_date - timedelta(days=lead), opening, tzinfo=zone)
        if due < uow.now:
            continue
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
