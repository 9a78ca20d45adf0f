"""Reviewing a contact strategy: continue, alter or end it, with reasons (s7, s7.1).

Altering opens the proposal form, prefilled from the strategy in force, and the new
version goes through authorisation; on approval the old one ends as "altered". The
person is told about every change in writing (s7.1): a letter for a continuation (with
the new review date) and for an ending; an alteration's letter is the strategy letter
sent when the new version is approved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cards.forms import FormSpec
from cards.ids import ReviewField as F
from cards.wording import join_names
from dialogs.authorisation.activate import schedule_review_reminders
from dialogs.authorisation.request import ask, deciders
from dialogs.breach.flow import recent_breaches
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import (
    AlreadyDone,
    BadRequest,
    DomainError,
    FieldErrors,
    Forbidden,
    NotFound,
)
from dialogs.incident.follow_up import refresh_person_cards
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction, LetterKind, Template
from dialogs.review.form import alteration_spec, evidence, review_spec
from dialogs.review.rules import STORED, check_may_review, continue_errors
from dialogs.strategy.in_force import guardians, strategy_in_force
from dialogs.strategy.letter import keep_letter
from dialogs.strategy.propose import checked, load_subject, strategy_from
from dialogs.validation import check
from storage import monitoring as monitoring_repo
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import ContactStrategy, Person, Review, StaffMember
from storage.models.status import AuthorisationKind, ReviewOutcome, StrategyStatus


async def _refuse_if_change_pending(session: AsyncSession, strategy: ContactStrategy) -> None:
    if await strategies_repo.change_pending(session, strategy_id=strategy.id):
        raise DomainError(
            "A change to this strategy is waiting for authorisation, or for its letter to be "
            "recorded as sent. It must take effect before the strategy can be reviewed again."
        )


async def _facts(session: AsyncSession, ctx: Ctx, strategy: ContactStrategy) -> str:
    counts = await monitoring_repo.while_in_force(session, strategy_id=strategy.id)
    recent = await recent_breaches(session, ctx, strategy.person_id)
    return evidence(counts, recent, ctx.policy.breach_window_days)


async def review_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """The review form: opened for a strategy (`strategy_id`), or rebuilt from a card that
    also says which review date it was opened at (`review_date`), which is refused in
    the same words as submitting it would be (a late reviewer reads who reviewed first)."""
    ctx, actor = turn.ctx, turn.actor
    async with ctx.db.read() as session:
        if "review_date" in context:
            strategy, who = await _current(
                session, ctx, actor, context.get("strategy_id"), context["review_date"], lock=False
            )
        else:
            strategy, who = await strategy_in_force(session, context.get("strategy_id"))
            check_may_review(actor, strategy)
            await _refuse_if_change_pending(session, strategy)
            await _refuse_if_deciding_a_dispute(session, actor, strategy)
        facts = await _facts(session, ctx, strategy)
        return review_spec(ctx, strategy, who, await staff_repo.names(session), facts)


async def _already_reviewed(
    session: AsyncSession, ctx: Ctx, strategy_id: Any
) -> AlreadyDone | None:
    """Who reviewed it first, for the second reviewer to read; None if no review exists."""
    last = (
        await monitoring_repo.last_review(session, strategy_id=strategy_id)
        if isinstance(strategy_id, int)
        else None
    )
    if last is None:
        return None
    review, name = last
    return AlreadyDone(
        f"Already reviewed by {name} at {ctx.local(review.created_at)}: {review.outcome}."
    )


async def _current(
    session: AsyncSession,
    ctx: Ctx,
    actor: StaffMember,
    strategy_id: Any,
    seen: Any,
    *,
    lock: bool = True,
) -> tuple[ContactStrategy, Person]:
    """The strategy as the reviewer saw it, locked; the first review to arrive wins."""
    try:
        strategy, who = await strategy_in_force(session, strategy_id, lock=lock)
    except NotFound:
        raise
    except DomainError as exc:  # no longer in force: say who ended or altered it
        raise (await _already_reviewed(session, ctx, strategy_id)) or exc from None
    check_may_review(actor, strategy)
    if seen != strategy.review_date.isoformat():
        raise (await _already_reviewed(session, ctx, strategy.id)) or AlreadyDone(
            "This strategy has changed since the form was opened; please start again."
        )
    await _refuse_if_change_pending(session, strategy)
    await _refuse_if_deciding_a_dispute(session, actor, strategy)
    return strategy, who


async def _refuse_if_deciding_a_dispute(
    session: AsyncSession, actor: StaffMember, strategy: ContactStrategy
) -> None:
    """s7.3: whoever considers a dispute took no part in the decisions disputed, a review
    that continued or altered it included (dialogs/dispute/rules.took_part). It is checked
    when the dispute is given to them; this keeps it true until they decide."""
    if await monitoring_repo.deciding_a_dispute(
        session, strategy_id=strategy.id, staff_id=actor.id
    ):
        raise Forbidden(
            "You are considering a dispute about this strategy (s7.3). To stay "
            "independent of it, record the dispute's outcome first, or let another "
            "reviewer review the strategy."
        )


async def submit_review(
    turn: Turn, submitted: dict[str, Any], context: dict[str, Any]
) -> str | FormSpec:
    """Continue or end (stored now), or alter (answered with the alteration form)."""
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        strategy, who = await _current(
            uow.session, ctx, actor, context.get("strategy_id"), context.get("review_date")
        )
        names = await staff_repo.names(uow.session)
        spec = review_spec(ctx, strategy, who, names, "")
        values, errors = check(spec, submitted)
        outcome = values.get(F.OUTCOME)
        if outcome == "continue":
            errors.update(
                continue_errors(
                    actor,
                    strategy,
                    values,
                    ctx.today,
                    separate=ctx.policy.separate_proposer_and_authoriser,
                )
            )
        if outcome == "continue" and (
            disputed := await monitoring_repo.different_course_unreviewed(
                uow.session, strategy_id=strategy.id
            )
        ):
            errors[F.OUTCOME] = (
                "A dispute of this strategy was decided on "
                f"{ctx.local(disputed.decided_at)} as a different course of action (s7.3), "
                "so it cannot simply continue: choose Alter or End."
            )
        if outcome in ("continue", "end") and not values.get(F.PUBLIC_SUMMARY):
            # The letter explains the decision in these words, never the reasons (s7.1).
            errors[F.PUBLIC_SUMMARY] = "Write what the letter will tell them about this decision."
        if errors:
            raise FieldErrors(errors)
        if outcome == "alter":
            subject = await load_subject(uow.session, who.id)
            return alteration_spec(ctx, subject, strategy, values[F.REASONS])
        review, told = await _record(uow, strategy, who, names, outcome, values)
    if review.outcome == ReviewOutcome.CONTINUED:
        message = (
            f"The strategy for *{who.reference}* continues; the next review is due by "
            f"{strategy.review_date:%d %b %Y} and reminders are set."
        )
    else:
        message = f"The strategy for *{who.reference}* has ended."
    message += " The letter telling them is on its way to you as a file, to send."
    if told:
        message += f" I'm letting {join_names(told)} know."
    return message


async def _record(
    uow: Change,
    strategy: ContactStrategy,
    who: Person,
    names: dict[int, str],
    outcome: str,
    values: dict[str, Any],
) -> tuple[Review, list[str]]:
    if outcome == "continue":
        strategy.review_date = values[F.NEW_REVIEW_DATE]
        await schedule_review_reminders(uow, strategy)
        review = await _reviewed(
            uow, strategy, who, STORED[outcome], values, new_review_date=strategy.review_date
        )
    else:
        strategy.status = StrategyStatus.ENDED
        strategy.ended_at = uow.now
        review = await _reviewed(uow, strategy, who, STORED[outcome], values)
        await refresh_person_cards(uow, who.id)
    await _letter(uow, strategy, who, names, review)
    return review, await _tell(uow, strategy, who, review)


async def _letter(
    uow: Change, strategy: ContactStrategy, who: Person, names: dict[int, str], review: Review
) -> None:
    """s7.1: "The member of the public should be told about any changes"."""
    reviewer = uow.actor
    assert isinstance(reviewer, StaffMember)
    continued = review.outcome == ReviewOutcome.CONTINUED
    await keep_letter(
        uow,
        LetterKind.STRATEGY_CONTINUED if continued else LetterKind.STRATEGY_ENDED,
        strategy,
        who,
        deliver_to=reviewer,
        names=names,
        extra={"review_summary": review.public_summary or ""},  # never review.reasons
        about=(
            f"The letter telling {who.name} that the contact arrangements "
            f"{'continue' if continued else 'have ended'} (s7.1: they must be told about any "
            "change)."
        ),
    )


async def _tell(uow: Change, strategy: ContactStrategy, who: Person, review: Review) -> list[str]:
    """Staff keep to a strategy too (s7.1), so those who look after it hear of the outcome."""
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    model = {
        "reference": who.reference,
        "outcome": review.outcome,
        "by": actor.name,
        "review_date": f"{strategy.review_date:%d %b %Y}",
    }
    told = []
    for member in await guardians(uow.session, strategy):
        if member.id != actor.id:
            await uow.tell(member, Template.REVIEW_NOTICE, model)
            told.append(member.name)
    return told


async def alteration_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """The alteration form a card brings back, rebuilt from the context it carried."""
    ctx = turn.ctx
    async with ctx.db.read() as session:
        strategy, who = await _current(
            session,
            ctx,
            turn.actor,
            context.get("supersedes"),
            context.get("review_date"),
            lock=False,
        )
        subject = await load_subject(session, who.id)
        return alteration_spec(ctx, subject, strategy, "")


async def _reviewed(
    uow: Change,
    strategy: ContactStrategy,
    who: Person,
    outcome: ReviewOutcome,
    values: dict[str, Any],
    *,
    new_review_date: date | None = None,
    new_strategy_id: int | None = None,
) -> Review:
    """The review stored and audited, whatever it decided (s7.1)."""
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    review = Review(
        strategy_id=strategy.id,
        outcome=outcome,
        reasons=values[F.REASONS],
        public_summary=values.get(F.PUBLIC_SUMMARY) or None,
        new_review_date=new_review_date,
        new_strategy_id=new_strategy_id,
        reviewed_by_id=actor.id,
        created_at=uow.now,
    )
    uow.add(review)
    await uow.flush()
    await uow.audit(
        AuditAction.STRATEGY_REVIEWED,
        strategy,
        case=who.reference,
        review=review.id,
        outcome=outcome,
        new_review_date=new_review_date,
    )
    return review


async def submit_alteration(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    """Store the review ("altered") and the new version, and ask the authorisers."""
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        old, who = await _current(
            uow.session, ctx, actor, context.get("supersedes"), context.get("review_date")
        )
        if context.get("person_id") != who.id:
            raise BadRequest("This form's details do not match the strategy it alters.")
        subject = await load_subject(uow.session, who.id)
        spec = alteration_spec(ctx, subject, old, "")
        values = checked(ctx, spec, subject, submitted)
        authorisers = await deciders(
            uow.session, requester=actor, separate=ctx.policy.separate_proposer_and_authoriser
        )
        new = strategy_from(ctx, actor, subject, values)
        new.supersedes_id = old.id
        uow.add(new)
        await uow.flush()
        auth = await ask(
            uow,
            kind=AuthorisationKind.CHANGE,
            requester=actor,
            authorisers=authorisers,
            strategy_id=new.id,
        )
        await _reviewed(uow, old, who, ReviewOutcome.ALTERED, values, new_strategy_id=new.id)
        await uow.audit(
            AuditAction.STRATEGY_PROPOSED,
            new,
            case=who.reference,
            authorisation=auth.id,
            restrictions=[r.kind for r in new.restrictions],
            supersedes=old.id,
        )
    return (
        f"The changed strategy for *{who.reference}* has gone to "
        f"{join_names(a.name for a in authorisers)} to authorise. The current one stays in "
        "force until then; I'll tell you the outcome."
    )
