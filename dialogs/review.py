"""Reviewing a contact strategy: continue, alter or end it, with reasons (s7, s7.1).

Who may review: the people the review reminder goes to, that is the strategy's proposer
(while still a manager or authoriser) and the authorisers. Two outcomes need more:
- continuing keeps contact restricted for up to another year, which is itself a
  decision to restrict contact, so (s7) only an authoriser may take it, and not the
  person who proposed the strategy (the same separation of duties as the first
  approval). A proposer who wants it to continue chooses "alter" and sends it, changed
  or not, for authorisation again;
- altering opens the proposal form, prefilled from the strategy in force, and the new
  version goes through authorisation; on approval the old one ends as "altered".
Ending lifts restrictions, so the proposer or any authoriser may decide it.

The person is told about every change in writing (s7.1): a letter for a continuation
(with the new review date) and for an ending; an alteration's letter is the strategy
letter sent when the new version is approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import FormName
from cards.ids import ReviewField as F
from cards.ids import StrategyField as SF
from dialogs import authorisation, authorisation_request, monitoring, notify
from dialogs import catalogue as cat
from dialogs import strategy as proposal
from dialogs.breach import recent_breaches
from dialogs.context import Ctx
from dialogs.errors import (
    AlreadyDone,
    BadRequest,
    DomainError,
    FieldErrors,
    Forbidden,
    NotFound,
)
from dialogs.policy_map import carries
from dialogs.strategy_view import (
    describe_restriction,
    staff_names,
)
from dialogs.validation import check
from storage import audit
from storage.models import (
    Breach,
    ContactLog,
    ContactStrategy,
    Dispute,
    Person,
    Review,
    StaffMember,
)

MAX_REASONS = 1500
STORED = {"continue": "continued", "alter": "altered", "end": "ended"}


def may_review(actor: StaffMember, strategy: ContactStrategy) -> bool:
    if actor.has_role("authoriser"):
        return True
    return actor.id == strategy.proposer_id and proposal.may_propose(actor)


def may_continue(actor: StaffMember, strategy: ContactStrategy) -> bool:
    return actor.has_role("authoriser") and actor.id != strategy.proposer_id


def _check_may_review(actor: StaffMember, strategy: ContactStrategy) -> None:
    if not may_review(actor, strategy):
        raise Forbidden(
            "Only the manager who proposed this strategy or an authoriser can review it (s7.1)."
        )


@dataclass(frozen=True)
class Reviewed:
    """What the reviewer sees next: a message, or (to alter) the proposal form."""

    message: str
    next_form: FormSpec | None = None


async def _evidence(session: AsyncSession, ctx: Ctx, strategy: ContactStrategy) -> str:
    """What happened while it was in force, so the reviewer weighs it (s7.1, s7.2)."""

    async def count(stmt: Any) -> int:
        return (await session.execute(stmt)).scalar_one()

    breaches = await count(
        select(func.count()).select_from(Breach).where(Breach.strategy_id == strategy.id)
    )
    recent = await recent_breaches(session, ctx, strategy.person_id)
    contacts = await count(
        select(func.count()).select_from(ContactLog).where(ContactLog.strategy_id == strategy.id)
    )
    flagged = await count(
        select(func.count())
        .select_from(ContactLog)
        .where(
            ContactLog.strategy_id == strategy.id,
            or_(ContactLog.criminal, ContactLog.safeguarding),
        )
    )
    disputes = await count(
        select(func.count()).select_from(Dispute).where(Dispute.strategy_id == strategy.id)
    )
    return (
        f"While in force: {breaches} breach(es), {recent} in the last "
        f"{ctx.policy.breach_window_days} days; {contacts} contact(s) logged, {flagged} "
        f"raising a criminal or safeguarding matter; {disputes} dispute(s)."
    )


def _spec(
    ctx: Ctx, strategy: ContactStrategy, who: Person, names: dict[int, str], evidence: str
) -> FormSpec:
    since = ctx.local(strategy.activated_at) if strategy.activated_at else "approval"
    restrictions = "; ".join(describe_restriction(r, names) for r in strategy.restrictions)
    return FormSpec(
        name=FormName.REVIEW,
        title="Review the strategy",
        submit="Record review",
        intro=(
            f"*{who.reference}*: is the contact strategy still appropriate and fit for "
            "purpose? (s7.1) Whatever you decide, they will be told in writing."
        ),
        fields=[
            FieldSpec(
                id="strategy_info",
                label=(
                    f"In force since {since}, review date {strategy.review_date:%d %b %Y}. "
                    f"Restrictions: {restrictions}."
                ),
                kind="info",
                required=False,
            ),
            FieldSpec(id="evidence_info", label=evidence, kind="info", required=False),
            FieldSpec(
                id=F.OUTCOME,
                label="Outcome",
                kind="radio",
                options=[Choice(value=i.id, label=i.label) for i in cat.REVIEW_OUTCOMES],
            ),
            FieldSpec(
                id=F.REASONS,
                label="Reasons",
                kind="textarea",
                max_length=MAX_REASONS,
                hint=(
                    "Required for every outcome; they go in the case file. If it continues, "
                    "they go, in plain words, in the letter to them."
                ),
            ),
            FieldSpec(
                id=F.NEW_REVIEW_DATE,
                label="Next review date (to continue)",
                kind="date",
                required=False,
                hint="In the future and within 12 months.",
            ),
        ],
        context={"strategy_id": strategy.id, "review_date": strategy.review_date.isoformat()},
        values={
            F.NEW_REVIEW_DATE: (
                monitoring.today(ctx) + timedelta(days=ctx.policy.review_period_days)
            ).isoformat()
        },
        timezone=ctx.policy.timezone,
    )


async def _pending_change(session: AsyncSession, strategy: ContactStrategy) -> None:
    waiting = (
        await session.execute(
            select(ContactStrategy.id).where(
                ContactStrategy.supersedes_id == strategy.id,
                ContactStrategy.status == "pending",
            )
        )
    ).first()
    if waiting is not None:
        raise DomainError(
            "A change to this strategy is waiting for authorisation. It must be decided "
            "before the strategy can be reviewed again."
        )


async def review_form(ctx: Ctx, *, actor: StaffMember, strategy_id: Any) -> FormSpec:
    async with ctx.db.read() as session:
        strategy, who = await monitoring.strategy_in_force(session, strategy_id)
        _check_may_review(actor, strategy)
        await _pending_change(session, strategy)
        evidence = await _evidence(session, ctx, strategy)
        return _spec(ctx, strategy, who, await staff_names(session), evidence)


async def _already_reviewed(
    session: AsyncSession, ctx: Ctx, strategy_id: int
) -> AlreadyDone | None:
    """Who reviewed it first, for the second reviewer to read; None if no review exists."""
    last = (
        await session.execute(
            select(Review, StaffMember.name)
            .join(StaffMember, StaffMember.id == Review.reviewed_by_id)
            .where(Review.strategy_id == strategy_id)
            .order_by(Review.id.desc())
            .limit(1)
        )
    ).first()
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
        strategy, who = await monitoring.strategy_in_force(session, strategy_id, lock=lock)
    except NotFound:
        raise
    except DomainError as exc:  # no longer in force: say who ended or altered it
        raise (await _already_reviewed(session, ctx, strategy_id)) or exc from None
    _check_may_review(actor, strategy)
    if seen != strategy.review_date.isoformat():
        raise (await _already_reviewed(session, ctx, strategy.id)) or AlreadyDone(
            "This strategy has changed since the form was opened; please start again."
        )
    await _pending_change(session, strategy)
    return strategy, who


def _continue_errors(
    ctx: Ctx, actor: StaffMember, strategy: ContactStrategy, values: dict[str, Any]
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not may_continue(actor, strategy):
        errors[F.OUTCOME] = (
            "Continuing restrictions is a decision to restrict contact, so an authoriser "
            "other than whoever proposed them must take it (s7). Ask an authoriser, or "
            "choose Alter to send it (changed or not) for authorisation again."
        )
    if F.NEW_REVIEW_DATE not in values:
        return errors
    new, today = values[F.NEW_REVIEW_DATE], monitoring.today(ctx)
    if new is None:
        errors[F.NEW_REVIEW_DATE] = "Give the next review date."
    elif new <= today:
        errors[F.NEW_REVIEW_DATE] = "The review date must be in the future."
    elif new > proposal.one_year_on(today):
        errors[F.NEW_REVIEW_DATE] = "Review it again within 12 months."
    return errors


async def submit_review(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any], submitted: dict[str, Any]
) -> Reviewed:
    async with ctx.db.write() as session:
        strategy, who = await _current(
            session, ctx, actor, context.get("strategy_id"), context.get("review_date")
        )
        names = await staff_names(session)
        spec = _spec(ctx, strategy, who, names, "")
        values, errors = check(spec, submitted)
        errors.update(monitoring.blank_answers(spec, values))
        outcome = values.get(F.OUTCOME)
        if outcome == "continue":
            errors.update(_continue_errors(ctx, actor, strategy, values))
        if errors:
            raise FieldErrors(errors)
        reasons = values[F.REASONS]
        if outcome == "alter":
            subject = await proposal._subject(session, who.id)
            return Reviewed("", _alteration_spec(ctx, subject, strategy, reasons))
        review = Review(
            strategy_id=strategy.id,
            outcome=STORED[outcome],
            reasons=reasons,
            reviewed_by_id=actor.id,
            created_at=ctx.now,
        )
        if outcome == "continue":
            strategy.review_date = review.new_review_date = values[F.NEW_REVIEW_DATE]
            await authorisation.schedule_review_reminders(session, ctx, strategy)
        else:
            strategy.status = "ended"
            strategy.ended_at = ctx.now
        session.add(review)
        await session.flush()
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="strategy.reviewed",
            entity_type="contact_strategy",
            entity_id=strategy.id,
            detail={
                "case": who.reference,
                "review": review.id,
                "outcome": review.outcome,
                "new_review_date": review.new_review_date,
            },
            at=ctx.now,
        )
        await _letter(session, ctx, strategy, who, actor, names, review)
        told = await _tell(session, ctx, strategy, who, actor, review)
    ctx.wake_outbox()
    if outcome == "continue":
        message = (
            f"The strategy for *{who.reference}* continues; the next review is due by "
            f"{strategy.review_date:%d %b %Y} and reminders are set."
        )
    else:
        message = f"The strategy for *{who.reference}* has ended."
    message += " The letter telling them is on its way to you as a file, to send."
    if told:
        message += f" I've told {', '.join(told)}."
    return Reviewed(message)


async def _letter(
    session: AsyncSession,
    ctx: Ctx,
    strategy: ContactStrategy,
    who: Person,
    actor: StaffMember,
    names: dict[int, str],
    review: Review,
) -> None:
    model = {
        **monitoring.letter_model(ctx, strategy, who, actor, names),
        "review_reasons": review.reasons,
    }
    kind = "strategy_continued" if review.outcome == "continued" else "strategy_ended"
    what = "continue" if review.outcome == "continued" else "have ended"
    await monitoring.keep_letter(
        session,
        ctx,
        kind=kind,
        model=model,
        who=who,
        strategy=strategy,
        author=actor,
        deliver_to=actor,
        comment=(
            f"The letter telling {who.name} that the contact arrangements {what} (s7.1: they "
            f"must be told about any change). Send it by {model['send_by']}. It is kept in "
            "the case file."
        ),
    )


async def _tell(
    session: AsyncSession,
    ctx: Ctx,
    strategy: ContactStrategy,
    who: Person,
    actor: StaffMember,
    review: Review,
) -> list[str]:
    """Staff keep to a strategy too (s7.1), so those who look after it hear of the outcome."""
    model = {
        "reference": who.reference,
        "outcome": review.outcome,
        "by": actor.name,
        "review_date": f"{strategy.review_date:%d %b %Y}",
    }
    told = []
    for member in await monitoring.guardians(session, strategy):
        if member.id != actor.id:
            await notify.send(
                session, to=member, template="review_notice", model=model, origin=actor
            )
            told.append(member.name)
    return told


def _alteration_spec(ctx: Ctx, subject: Any, strategy: ContactStrategy, reasons: str) -> FormSpec:
    """The proposal form (same questions, same rules), prefilled from the strategy in force."""
    values = proposal._values_from(strategy)
    values[SF.REVIEW_DATE] = (
        monitoring.today(ctx) + timedelta(days=ctx.policy.review_period_days)
    ).isoformat()
    values[F.REASONS] = reasons
    context = {
        "person_id": strategy.person_id,
        "supersedes": strategy.id,
        "review_date": strategy.review_date.isoformat(),
    }
    base = proposal._spec(ctx, subject, context, values)
    why = FieldSpec(
        id=F.REASONS,
        label="Why the review found it must change",
        kind="textarea",
        max_length=MAX_REASONS,
        hint="Kept in the case file with the review.",
    )
    return base.model_copy(
        update={
            "name": FormName.ALTERATION,
            "title": "Alter the strategy",
            "submit": "Send for approval",
            "intro": (
                f"*{subject.person.reference}*: change the restrictions below. The new version "
                "must be authorised like the first, never by you (s7); until then the "
                "current strategy stays in force."
            ),
            "fields": [why, *base.fields],
        }
    )


async def form_from_context(
    ctx: Ctx, *, actor: StaffMember, name: str, context: dict[str, Any]
) -> FormSpec:
    """The review or alteration form a submission answers, rebuilt from its context.

    A platform whose forms keep no state (a Teams card) reads the answers back against
    it and shows it again with any errors; it is refused in the same words as submitting
    it would be (a late reviewer reads who reviewed it first).
    """
    if name not in (FormName.REVIEW, FormName.ALTERATION):
        raise BadRequest("That is not a review form.")
    alteration = name == FormName.ALTERATION
    async with ctx.db.read() as session:
        strategy, who = await _current(
            session,
            ctx,
            actor,
            context.get("supersedes" if alteration else "strategy_id"),
            context.get("review_date"),
            lock=False,
        )
        if alteration:
            subject = await proposal._subject(session, who.id)
            return _alteration_spec(ctx, subject, strategy, "")
        evidence = await _evidence(session, ctx, strategy)
        return _spec(ctx, strategy, who, await staff_names(session), evidence)


async def submit_alteration(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any], submitted: dict[str, Any]
) -> str:
    """Store the review ("altered") and the new version, and ask the authorisers."""
    async with ctx.db.write() as session:
        old, who = await _current(
            session, ctx, actor, context.get("supersedes"), context.get("review_date")
        )
        if context.get("person_id") != who.id:
            raise BadRequest("This form's details do not match the strategy it alters.")
        subject = await proposal._subject(session, who.id)
        spec = _alteration_spec(ctx, subject, old, "")
        values, errors = check(spec, submitted)
        errors = {
            **proposal._rule_errors(ctx, values, subject),
            **monitoring.blank_answers(spec, values),
            **errors,
        }
        if errors:
            raise FieldErrors(errors)
        authorisers = await authorisation_request.deciders(session, requester=actor)
        new = proposal._strategy_from(ctx, actor, subject, values, None)
        new.supersedes_id = old.id
        session.add(new)
        await session.flush()
        auth = await authorisation_request.ask(
            session,
            ctx,
            kind="change",
            requester=actor,
            authorisers=authorisers,
            strategy_id=new.id,
        )
        review = Review(
            strategy_id=old.id,
            outcome="altered",
            reasons=values[F.REASONS],
            new_strategy_id=new.id,
            reviewed_by_id=actor.id,
            created_at=ctx.now,
        )
        session.add(review)
        await session.flush()
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="strategy.reviewed",
            entity_type="contact_strategy",
            entity_id=old.id,
            detail={"case": who.reference, "review": review.id, "outcome": "altered"},
            at=ctx.now,
        )
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="strategy.proposed",
            entity_type="contact_strategy",
            entity_id=new.id,
            detail={
                "case": who.reference,
                "authorisation": auth.id,
                "restrictions": [r.kind for r in new.restrictions],
                "supersedes": old.id,
            },
            at=ctx.now,
        )
    ctx.wake_outbox()
    return (
        f"The changed strategy for *{who.reference}* has gone to "
        f"{', '.join(a.name for a in authorisers)} to authorise. The current one stays in "
        "force until then; I'll tell you the outcome."
    )


POLICY = (
    carries(
        "7",
        "Continuing a strategy is itself a decision to restrict contact: an authoriser "
        "other than the proposer takes it.",
        "tests/test_slack_review.py::test_an_authoriser_who_proposed_it_cannot_continue_it_alone",
    ),
    carries(
        "7.1",
        "A strategy is reviewed and continued, altered or ended, and the person is told "
        "of the change in writing.",
        "tests/test_slack_review.py::test_continue_sets_a_new_date_fresh_reminders_and_writes",
        "tests/test_slack_review.py::test_end_lifts_the_restrictions_and_writes",
        "tests/test_slack_review.py::test_alter_goes_through_authorisation_again",
    ),
)
