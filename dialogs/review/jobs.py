"""Review reminders (s7.1): before the review date, then weekly while overdue.

Each reminder re-checks the world before it speaks: a strategy no longer in force, a
review date that has moved, or a review already held mean it is quietly dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.change import Change
from dialogs.jobs.payloads import ReviewOverdue, ReviewReminder
from dialogs.kinds import Template
from dialogs.office_hours import next_opening
from dialogs.review.rules import may_review
from storage import monitoring as monitoring_repo
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.models import ContactStrategy, Person, StaffMember
from storage.models.status import StrategyStatus


async def _current(uow: Change, strategy_id: int, review_date: object) -> ContactStrategy | str:
    """The strategy a reminder is about, or why the reminder is no longer needed."""
    strategy = await strategies_repo.get(uow.session, strategy_id=strategy_id)
    if strategy is None or strategy.status != StrategyStatus.ACTIVE:
        return "skipped: the strategy is no longer in force"
    if review_date != strategy.review_date:
        return "skipped: the review date has changed"
    return strategy


async def _remind(
    uow: Change, strategy: ContactStrategy, *, when: str, escalated: bool = False
) -> int:
    """The authorisers and the proposer (while in the directory), in office hours; and
    once `escalated`, the Chief Executive too. Each is offered "Start review" only if
    they may start one (never a button that would be refused)."""
    person = await uow.session.get(Person, strategy.person_id)
    assert person is not None
    people = {a.id: a for a in await staff_repo.with_role(uow.session, role="authoriser")}
    proposer = await uow.session.get(StaffMember, strategy.proposer_id)
    if proposer is not None and proposer.in_directory:
        people.setdefault(proposer.id, proposer)
    if escalated:
        for chief in await staff_repo.with_role(uow.session, role="chief_executive"):
            people.setdefault(chief.id, chief)
    model = {
        "strategy_id": strategy.id,
        "reference": person.reference,
        "review_date": f"{strategy.review_date:%d %b %Y}",
        "when": when,
        "escalated": escalated,
        "chief_executive_title": uow.ctx.organisation.chief_executive_title,
    }
    held = next_opening(uow.now, uow.ctx.policy)
    deciding = await monitoring_repo.undecided_dispute_deciders(
        uow.session, strategy_id=strategy.id
    )
    for member in people.values():
        may = may_review(member, strategy) and member.id not in deciding
        await uow.tell(
            member,
            Template.REVIEW_DUE,
            {**model, "may_review": may},
            origin=None,
            not_before=held,
        )
    return len(people)


async def reminder(uow: Change, job: ReviewReminder) -> str:
    strategy = await _current(uow, job.strategy_id, job.review_date)
    if isinstance(strategy, str):
        return strategy
    # Counted on the day it runs (a reminder whose day came late in it says what is left).
    lead = max((strategy.review_date - uow.ctx.today).days, 0)
    when = "today" if lead == 0 else f"in {lead} day{'s' if lead != 1 else ''}"
    sent = await _remind(uow, strategy, when=when)
    return f"review reminder ({when}) queued for {sent} people"


async def overdue(uow: Change, job: ReviewOverdue) -> str:
    """Weekly while overdue: each run stores the next, until a review is held."""
    strategy = await _current(uow, job.strategy_id, job.review_date)
    if isinstance(strategy, str):
        return strategy
    since = strategy.activated_at or strategy.created_at
    if await monitoring_repo.reviewed_since(uow.session, strategy_id=strategy.id, since=since):
        return "skipped: a review has been held"
    ctx = uow.ctx
    days = (ctx.today - strategy.review_date).days
    escalated = days >= 7 * ctx.policy.review_overdue_escalate_weeks
    sent = await _remind(uow, strategy, when=f"overdue by {days} days", escalated=escalated)
    next_day = ctx.today + timedelta(days=ctx.policy.overdue_reminder_every_days)
    await uow.schedule(
        ReviewOverdue(strategy_id=strategy.id, review_date=strategy.review_date, on=next_day),
        due_at=datetime.combine(next_day, ctx.policy.office_hours_start, tzinfo=ctx.zone),
    )
    to = " (escalated to the Chief Executive)" if escalated else ""
    return f"overdue review reminder queued for {sent} people{to}; next on {next_day}"
