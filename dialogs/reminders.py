"""What each durable job does when it falls due (s7.1 reviews, Appendix A follow-ups).

Each handler runs inside the scheduler's transaction, together with marking its job
done, so a crash either keeps both or neither. A handler re-checks the world before it
speaks: a review already held, a referral already recorded, a request already decided
mean the reminder is no longer needed and is quietly dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import notify
from dialogs.context import Ctx
from dialogs.office_hours import next_opening
from dialogs.policy_map import carries
from dialogs.records import jobs as records_jobs
from storage import jobs
from storage import staff as staff_repo
from storage.models import (
    Authorisation,
    ContactStrategy,
    Incident,
    Person,
    PoliceReferral,
    Review,
    ScheduledJob,
    StaffMember,
    WelfareCheckIn,
)

Handler = Callable[[AsyncSession, Ctx, ScheduledJob], Awaitable[str]]


def _held(ctx: Ctx) -> datetime:
    """Reminders wait for office hours on a working day."""
    return next_opening(ctx.now, ctx.policy)


async def welfare_followup(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    staff = await session.get(StaffMember, job.payload.get("staff_id"))
    if staff is None or not staff.in_directory:
        return "skipped: the staff member has left the directory"
    checkin = WelfareCheckIn(
        staff_id=staff.id,
        incident_id=job.payload.get("incident_id"),
        kind="follow_up",
        created_at=ctx.now,
    )
    session.add(checkin)
    await session.flush()
    await notify.send(
        session,
        to=staff,
        template="welfare_checkin",
        model=notify.checkin_model(checkin),
        card_key=f"checkin:{checkin.id}",
        not_before=_held(ctx),
    )
    return f"follow-up check-in queued for {staff.name}"


async def _review_recipients(session: AsyncSession, strategy: ContactStrategy) -> list[StaffMember]:
    people = {a.id: a for a in await staff_repo.with_role(session, role="authoriser")}
    proposer = await session.get(StaffMember, strategy.proposer_id)
    if proposer is not None and proposer.in_directory:
        people.setdefault(proposer.id, proposer)
    return list(people.values())


async def _reviewed_since(session: AsyncSession, strategy: ContactStrategy) -> bool:
    since = strategy.activated_at or strategy.created_at
    count = (
        await session.execute(
            select(func.count())
            .select_from(Review)
            .where(
                Review.strategy_id == strategy.id,
                Review.created_at >= since,
                # An alteration is only a proposal until authorised; if it is denied, the
                # strategy in force still needs its review, so keep reminding.
                Review.outcome != "altered",
            )
        )
    ).scalar_one()
    return bool(count)


async def _review_message(
    session: AsyncSession, ctx: Ctx, strategy: ContactStrategy, *, when: str
) -> int:
    person = await session.get(Person, strategy.person_id)
    assert person is not None
    recipients = await _review_recipients(session, strategy)
    for member in recipients:
        await notify.send(
            session,
            to=member,
            template="review_due",
            model={
                "strategy_id": strategy.id,
                "reference": person.reference,
                "review_date": f"{strategy.review_date:%d %b %Y}",
                "when": when,
            },
            not_before=_held(ctx),
        )
    return len(recipients)


async def review_reminder(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    strategy = await session.get(ContactStrategy, job.payload.get("strategy_id"))
    if strategy is None or strategy.status != "active":
        return "skipped: the strategy is no longer in force"
    if job.key.split(":")[2] != strategy.review_date.isoformat():
        return "skipped: the review date has changed"
    lead = int(job.payload.get("lead_days", 0))
    when = "today" if lead == 0 else f"in {lead} day{'s' if lead != 1 else ''}"
    sent = await _review_message(session, ctx, strategy, when=when)
    return f"review reminder ({when}) queued for {sent} people"


async def review_overdue(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    """Weekly while overdue: each run stores the next, until a review is held."""
    strategy = await session.get(ContactStrategy, job.payload.get("strategy_id"))
    if strategy is None or strategy.status != "active":
        return "skipped: the strategy is no longer in force"
    if not job.key.startswith(f"review-overdue:{strategy.id}:{strategy.review_date.isoformat()}"):
        return "skipped: the review date has changed"
    if await _reviewed_since(session, strategy):
        return "skipped: a review has been held"
    days = (ctx.now.astimezone(ctx.zone).date() - strategy.review_date).days
    sent = await _review_message(session, ctx, strategy, when=f"overdue by {days} days")
    every = ctx.policy.overdue_reminder_every_days
    nxt = datetime.combine(
        ctx.now.astimezone(ctx.zone).date() + timedelta(days=every),
        time(ctx.policy.office_hours_start.hour, ctx.policy.office_hours_start.minute),
        tzinfo=ctx.zone,
    )
    await jobs.schedule(
        session,
        key=f"review-overdue:{strategy.id}:{strategy.review_date.isoformat()}:{nxt.date()}",
        kind="review_overdue",
        due_at=nxt,
        payload={"strategy_id": strategy.id},
    )
    return f"overdue review reminder queued for {sent} people; next on {nxt.date()}"


async def authorisation_nudge(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    auth = await session.get(Authorisation, job.payload.get("authorisation_id"))
    if auth is None or auth.status != "pending":
        return "skipped: already decided"
    hours = int((ctx.now - auth.created_at).total_seconds() // 3600)
    recipients = [
        a
        for a in await staff_repo.with_role(session, role="authoriser")
        if a.id != auth.requested_by_id
    ]
    reference = await _reference_for(session, auth)
    for member in recipients:
        await notify.send(
            session,
            to=member,
            template="authorisation_nudge",
            model={"reference": reference, "hours": hours, "kind": auth.kind},
            not_before=_held(ctx),
        )
    return f"nudged {len(recipients)} authorisers about {reference}"


async def _reference_for(session: AsyncSession, auth: Authorisation) -> str:
    from storage.models import SharingRequest

    if auth.strategy_id is not None:
        strategy = await session.get(ContactStrategy, auth.strategy_id)
        person_id = strategy.person_id if strategy else None
    else:
        request = await session.get(SharingRequest, auth.sharing_request_id)
        person_id = request.person_id if request else None
    person = await session.get(Person, person_id) if person_id else None
    return person.reference if person else "a case"


async def police_referral_nudge(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    """s6: violence used or threatened is always reported; chase a referral not recorded."""
    incident = await session.get(Incident, job.payload.get("incident_id"))
    if incident is None:
        return "skipped: the incident is gone"
    recorded = (
        await session.execute(
            select(func.count())
            .select_from(PoliceReferral)
            .where(PoliceReferral.incident_id == incident.id)
        )
    ).scalar_one()
    if recorded:
        return "skipped: a police referral is recorded"
    reporter = await session.get(StaffMember, incident.reporter_id)
    person = await session.get(Person, incident.person_id)
    assert reporter is not None and person is not None
    deciders = await notify.incident_card_recipients(session, reporter=reporter)
    for member in deciders.people:
        # Urgent: a police report required is never held for office hours.
        await notify.send(
            session,
            to=member,
            template="police_nudge",
            model={
                "reference": person.reference,
                "incident_id": incident.id,
                "occurred_at": ctx.local(incident.occurred_at),
            },
        )
    return f"police referral reminder sent to {len(deciders.people)} people"


HANDLERS: dict[str, Handler] = {
    "welfare_followup": welfare_followup,
    "review_reminder": review_reminder,
    "review_overdue": review_overdue,
    "authorisation_nudge": authorisation_nudge,
    "police_referral_nudge": police_referral_nudge,
    **records_jobs.HANDLERS,  # monthly retention purge and oversight report (s9, s7.1)
}


async def run(session: AsyncSession, ctx: Ctx, job: ScheduledJob) -> str:
    handler = HANDLERS.get(job.kind)
    if handler is None:
        raise LookupError(f"no handler for jobs of kind {job.kind!r}")
    return await handler(session, ctx, job)


def describe(payload: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(payload.items()))


POLICY = (
    carries(
        "6",
        "A police report required but not recorded is chased.",
        "tests/test_scheduler.py::test_police_referral_nudge_only_when_none_recorded",
    ),
    carries(
        "7",
        "An authorisation left undecided is chased.",
        "tests/test_scheduler.py::test_undecided_authorisation_nudges_after_the_configured_hours",
    ),
    carries(
        "7.1",
        "Review reminders before the review date, then weekly while overdue, until a "
        "review is held.",
        "tests/test_scheduler.py::test_review_reminders_on_their_days_then_weekly_while_overdue",
        "tests/test_scheduler.py::test_a_held_review_stops_the_overdue_reminders",
    ),
    carries(
        "A",
        "A follow-up welfare check-in after the first, in working hours.",
        "tests/test_scheduler.py::test_welfare_follow_up_fires_once_after_24_hours",
        "tests/test_scheduler.py::test_follow_up_falling_on_a_weekend_waits_for_monday",
    ),
)
