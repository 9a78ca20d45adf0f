"""What happens while a strategy is in force: breaches, contacts, reviews, disputes (s7.1-s7.3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update

from storage.db import AsyncSession
from storage.models import (
    Breach,
    ContactLog,
    ContactStrategy,
    Dispute,
    FurtherAction,
    Matter,
    Review,
    StaffMember,
)
from storage.models.status import ReviewOutcome


async def _count(session: AsyncSession, model: Any, *where: Any) -> int:
    stmt = select(func.count()).select_from(model).where(*where)
    return (await session.execute(stmt)).scalar_one()


async def breaches_since(session: AsyncSession, *, person_id: int, since: datetime) -> int:
    """Breaches of any of the person's strategies since `since` (an alteration does not
    wipe the slate: s7.2 looks at whether adjusting the strategy has worked)."""
    stmt = (
        select(func.count())
        .select_from(Breach)
        .join(ContactStrategy, ContactStrategy.id == Breach.strategy_id)
        .where(ContactStrategy.person_id == person_id, Breach.occurred_at >= since)
    )
    return (await session.execute(stmt)).scalar_one()


async def while_in_force(session: AsyncSession, *, strategy_id: int) -> dict[str, int]:
    """Counts of what happened under one strategy, for its reviewer."""
    flagged = or_(ContactLog.criminal, ContactLog.safeguarding)
    return {
        "breaches": await _count(session, Breach, Breach.strategy_id == strategy_id),
        "contacts": await _count(session, ContactLog, ContactLog.strategy_id == strategy_id),
        "flagged": await _count(
            session, ContactLog, ContactLog.strategy_id == strategy_id, flagged
        ),
        "disputes": await _count(session, Dispute, Dispute.strategy_id == strategy_id),
    }


async def contacts_of_person(session: AsyncSession, *, person_id: int) -> int:
    return await _count(session, ContactLog, ContactLog.person_id == person_id)


async def recent_contacts(
    session: AsyncSession, *, person_id: int, limit: int
) -> list[tuple[ContactLog, str]]:
    """The newest contact log entries, with who logged each."""
    return await _on_case_with_recorder(
        session, ContactLog, ContactLog.logged_by_id, ContactLog.occurred_at, person_id, limit
    )


async def _on_case_with_recorder(
    session: AsyncSession, model: Any, recorder: Any, when: Any, person_id: int, limit: int | None
) -> list[tuple[Any, str]]:
    """A person's rows of one kind, newest first, each with the name of who recorded it."""
    stmt = (
        select(model, StaffMember.name)
        .join(StaffMember, StaffMember.id == recorder)
        .where(model.person_id == person_id)
        .order_by(when.desc(), model.id.desc())
        .limit(limit)
    )
    return [(row, name) for row, name in (await session.execute(stmt)).all()]


async def last_review(session: AsyncSession, *, strategy_id: int) -> tuple[Review, str] | None:
    """The newest review of a strategy, with who held it."""
    stmt = (
        select(Review, StaffMember.name)
        .join(StaffMember, StaffMember.id == Review.reviewed_by_id)
        .where(Review.strategy_id == strategy_id)
        .order_by(Review.id.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row is not None else None


async def reviewed_since(session: AsyncSession, *, strategy_id: int, since: datetime) -> bool:
    """Whether a review that settled the strategy was held since `since`.

    An alteration is only a proposal until authorised; if it is denied, the strategy in
    force still needs its review, so it does not count.
    """
    return bool(
        await _count(
            session,
            Review,
            Review.strategy_id == strategy_id,
            Review.created_at >= since,
            Review.outcome != ReviewOutcome.ALTERED,
        )
    )


async def get_dispute(session: AsyncSession, *, dispute_id: Any) -> Dispute | None:
    if not isinstance(dispute_id, int) or isinstance(dispute_id, bool):
        return None
    return await session.get(Dispute, dispute_id)


async def undecided_disputes(session: AsyncSession) -> list[Dispute]:
    stmt = select(Dispute).where(Dispute.outcome.is_(None))
    return list((await session.execute(stmt)).scalars())


async def different_course_unreviewed(session: AsyncSession, *, strategy_id: int) -> Dispute | None:
    """The latest dispute about this strategy decided as "a different course of action"
    (s7.3) with no review held since: the review it calls for is still to come."""
    stmt = (
        select(Dispute)
        .where(
            Dispute.strategy_id == strategy_id,
            Dispute.outcome == "different",
            Dispute.decided_at.is_not(None),
            ~select(Review.id)
            .where(Review.strategy_id == strategy_id, Review.created_at >= Dispute.decided_at)
            .exists(),
        )
        .order_by(Dispute.decided_at.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar()


async def undecided_dispute_deciders(session: AsyncSession, *, strategy_id: int) -> set[int]:
    """Who has been asked to decide a dispute about this strategy and has not yet (s7.3)."""
    stmt = select(Dispute.decider_id).where(
        Dispute.strategy_id == strategy_id,
        Dispute.decider_id.is_not(None),
        Dispute.outcome.is_(None),
    )
    return set((await session.execute(stmt)).scalars())


async def deciding_a_dispute(session: AsyncSession, *, strategy_id: int, staff_id: int) -> bool:
    """Whether this member of staff has been asked to decide a dispute about this strategy
    and has not yet decided it (s7.3)."""
    stmt = select(Dispute.id).where(
        Dispute.strategy_id == strategy_id,
        Dispute.decider_id == staff_id,
        Dispute.outcome.is_(None),
    )
    return (await session.execute(stmt.limit(1))).first() is not None


async def decide_dispute(
    session: AsyncSession,
    *,
    dispute: Dispute,
    outcome: str,
    reasons: str,
    summary: str,
    at: datetime,
) -> bool:
    """Record the outcome in one conditional UPDATE; False if another decision came first."""
    result = await session.execute(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.outcome.is_(None))
        .values(outcome=outcome, outcome_reasons=reasons, outcome_summary=summary, decided_at=at)
    )
    await session.refresh(dispute)
    return bool(result.rowcount)


async def further_actions(
    session: AsyncSession, *, person_id: int
) -> list[tuple[FurtherAction, str]]:
    """Every further action on a person's case with who recorded it, newest first."""
    return await _on_case_with_recorder(
        session,
        FurtherAction,
        FurtherAction.recorded_by_id,
        FurtherAction.taken_on,
        person_id,
        None,
    )


async def matter(session: AsyncSession, *, matter_id: Any) -> Matter | None:
    if not isinstance(matter_id, int) or isinstance(matter_id, bool):
        return None
    return await session.get(Matter, matter_id)


async def open_matters(session: AsyncSession, *, person_id: int) -> list[Matter]:
    stmt = (
        select(Matter)
        .where(Matter.person_id == person_id, Matter.closed_at.is_(None))
        .order_by(Matter.raised_at, Matter.id)
    )
    return list((await session.execute(stmt)).scalars())
