"""A dispute of a decision to restrict contact, considered independently (s7.3).

The person writes to the Chief Executive; staff record the letter received and its
grounds, and the person asked (dispute.rules) gets a card to decide on. One person is
assigned; only they may decide, and the first decision wins. The outcome is written to
the person (s7.3: "informed in writing that either the restricted contact arrangements
still apply or a different course of action has been determined") and kept with the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.forms import FormSpec
from cards.ids import DisputeField as F
from cards.ids import DisputeOutcomeField as O
from cards.ids import FormName
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.authorisation.activate import schedule_review_reminders
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.dispute.rules import check_may_decide, may_still_decide
from dialogs.dispute.view import assignment, card_key, card_model
from dialogs.errors import AlreadyDone, DomainError, FieldErrors, NotFound
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction, LetterKind, Template
from dialogs.letters import considered_by
from dialogs.people.find import person
from dialogs.review.rules import may_review
from dialogs.strategy.form import PUBLIC_SUMMARY_LABEL
from dialogs.strategy.in_force import for_form, strategy_in_force
from dialogs.strategy.letter import keep_letter
from dialogs.validation import check
from storage import monitoring as monitoring_repo
from storage import staff as staff_repo
from storage.db import AsyncSession
from storage.models import ContactStrategy, Dispute, Person, StaffMember
from storage.models.status import StrategyStatus

MAX_GROUNDS = 3000
MAX_REASONS = 3000

DISPUTE = f.Head(FormName.DISPUTE, "Record a dispute", "Send to decide")
DISPUTE_OUTCOME = f.Head(FormName.DISPUTE_OUTCOME, "Decide the dispute", "Record outcome")


def _record_spec(ctx: Ctx, who: Person, strategy: ContactStrategy) -> FormSpec:
    return DISPUTE.form(
        ctx,
        [
            f.day(F.RECEIVED_ON, "Date received"),
            f.textarea(F.GROUNDS, "Their grounds, as they put them", max_length=MAX_GROUNDS),
        ],
        intro=(
            f"*{who.reference}*: anyone may dispute a decision to restrict contact by writing "
            "to the Chief Executive (s7.3). Record what they wrote; it goes to the Chief "
            "Executive, or to someone independent if the Chief Executive took the decision."
        ),
        context={"strategy_id": strategy.id},
        values={F.RECEIVED_ON: ctx.today.isoformat()},
    )


async def record_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """The form for a person (`person_id`, from /case), or rebuilt for the strategy it was
    opened for (`strategy_id`). Any member of staff may record a dispute: whoever opens
    the post."""
    async with turn.ctx.db.read() as session:
        who, strategy = await for_form(session, context, doing="dispute")
        return _record_spec(turn.ctx, who, strategy)


def _received_errors(ctx: Ctx, strategy: ContactStrategy, received: Any) -> dict[str, str]:
    if received is None:
        return {}
    if received > ctx.today:
        return {F.RECEIVED_ON: "This date is in the future."}
    if strategy.activated_at is not None:
        since = strategy.activated_at.astimezone(ctx.zone)
        if received < since.date():
            return {
                F.RECEIVED_ON: f"That is before the strategy came into force ({since:%d %b %Y})."
            }
    return {}


async def submit_dispute(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        strategy, who = await strategy_in_force(uow.session, context.get("strategy_id"))
        values, errors = check(_record_spec(ctx, who, strategy), submitted)
        errors.update(_received_errors(ctx, strategy, values.get(F.RECEIVED_ON)))
        if errors:
            raise FieldErrors(errors)
        assigned = await assignment(uow.session, strategy)
        dispute = Dispute(
            strategy_id=strategy.id,
            received_on=values[F.RECEIVED_ON],
            grounds=values[F.GROUNDS],
            recorded_by_id=actor.id,
            decider_id=assigned.decider.id,
            created_at=ctx.now,
        )
        uow.add(dispute)
        await uow.audit(
            AuditAction.DISPUTE_RECORDED,
            dispute,
            case=who.reference,
            strategy=strategy.id,
            decider=assigned.decider.id,
            chief_executive_involved=bool(assigned.involved_ces),
        )
        model = await card_model(uow.session, ctx, dispute)
        await uow.tell(
            assigned.decider, Template.DISPUTE_CARD, model, card_key=card_key(dispute.id)
        )
        notice = {"reference": who.reference, "decider": assigned.decider.name}
        for ce in assigned.involved_ces:
            await uow.tell(ce, Template.DISPUTE_NOTICE, notice)
    return (
        f"Dispute recorded for *{who.reference}*. I'm asking {assigned.decider.name} to "
        "consider it (s7.3), and I'll tell you if that message can't be delivered. I'll tell "
        "you the outcome and send you the letter to them."
    )


@dataclass(frozen=True)
class Reassigned:
    dispute_id: int
    reference: str
    decider: StaffMember | None  # None: nobody independent is left to ask


async def reassign_undecided(uow: Change) -> list[Reassigned]:
    """Give an undecided dispute whose decider has left (or lost the role) to someone else.

    Only the assigned person may decide (s7.3), so without this a dispute would wait for
    ever once they left the directory. Run after every directory sync, in its transaction.
    """
    done: list[Reassigned] = []
    for dispute in await monitoring_repo.undecided_disputes(uow.session):
        current = (
            await uow.session.get(StaffMember, dispute.decider_id) if dispute.decider_id else None
        )
        if may_still_decide(current):
            continue
        strategy = await uow.session.get(ContactStrategy, dispute.strategy_id)
        assert strategy is not None
        who = await uow.session.get(Person, strategy.person_id)
        assert who is not None
        try:
            assigned = await assignment(uow.session, strategy)
        except DomainError:
            done.append(Reassigned(dispute.id, who.reference, None))
            continue
        dispute.decider_id = assigned.decider.id
        await uow.audit(
            AuditAction.DISPUTE_REASSIGNED,
            dispute,
            case=who.reference,
            **{"from": current.id if current is not None else None},
            to=assigned.decider.id,
            reason="the person asked is no longer in the directory as a decider",
        )
        model = await card_model(uow.session, uow.ctx, dispute)
        await uow.tell(
            assigned.decider, Template.DISPUTE_CARD, model, card_key=card_key(dispute.id)
        )
        done.append(Reassigned(dispute.id, who.reference, assigned.decider))
    return done


async def _load(session: AsyncSession, ctx: Ctx, actor: StaffMember, dispute_id: Any) -> Dispute:
    """The dispute, refused unless the actor is the one asked and it is undecided."""
    dispute = await monitoring_repo.get_dispute(session, dispute_id=dispute_id)
    if dispute is None:
        raise NotFound("That dispute could not be found.")
    if dispute.outcome is not None:
        who = await session.get(StaffMember, dispute.decider_id) if dispute.decider_id else None
        when = ctx.local(dispute.decided_at) if dispute.decided_at else "an earlier time"
        raise AlreadyDone(f"Already decided by {who.name if who else 'someone'} at {when}.")
    check_may_decide(actor, dispute.decider_id)
    return dispute


def _outcome_spec(ctx: Ctx, dispute_id: int) -> FormSpec:
    return DISPUTE_OUTCOME.form(
        ctx,
        [
            f.pick(O.OUTCOME, "Outcome", cat.DISPUTE_OUTCOMES, kind="radio"),
            f.textarea(
                O.REASONS,
                "Reasons",
                max_length=MAX_REASONS,
                hint="For the case file. Never in the letter.",
            ),
            f.textarea(
                O.PUBLIC_SUMMARY,
                PUBLIC_SUMMARY_LABEL,
                max_length=MAX_REASONS,
                hint=(
                    "Written to them, in plain English: what was decided and why. For a "
                    "different course, say what it is. It goes in the letter as written."
                ),
            ),
        ],
        intro=(
            "They will be told in writing that either the restricted contact arrangements "
            "still apply or a different course of action has been determined (s7.3)."
        ),
        context={"dispute_id": dispute_id},
    )


async def outcome_form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        dispute = await _load(session, turn.ctx, turn.actor, context.get("dispute_id"))
        return _outcome_spec(turn.ctx, dispute.id)


async def decide(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        dispute = await _load(uow.session, ctx, actor, context.get("dispute_id"))
        values, errors = check(_outcome_spec(ctx, dispute.id), submitted)
        if errors:
            raise FieldErrors(errors)
        strategy = await uow.session.get(ContactStrategy, dispute.strategy_id)
        assert strategy is not None
        if values[O.OUTCOME] == "upheld" and strategy.status != StrategyStatus.ACTIVE:
            raise FieldErrors(
                {
                    O.OUTCOME: f"The strategy is no longer in force (it is {strategy.status}), "
                    "so its arrangements cannot still apply."
                }
            )
        if not await monitoring_repo.decide_dispute(
            uow.session,
            dispute=dispute,
            outcome=values[O.OUTCOME],
            reasons=values[O.REASONS],
            summary=values[O.PUBLIC_SUMMARY],
            at=ctx.now,
        ):
            await _load(uow.session, ctx, actor, dispute.id)
        who = await person(uow.session, strategy.person_id)
        await uow.audit(
            AuditAction.DISPUTE_DECIDED, dispute, case=who.reference, outcome=dispute.outcome
        )
        if dispute.outcome == "different" and strategy.status == StrategyStatus.ACTIVE:
            await _review_now(uow, strategy, who)
        await _after_decision(uow, dispute, strategy, who)
    return (
        f"Outcome recorded for *{who.reference}*. The letter telling them has gone to "
        "whoever recorded the dispute, to send."
    )


async def _review_now(uow: Change, strategy: ContactStrategy, who: Person) -> None:
    """s7.3, "a different course of action has been determined": that course is taken at
    a review (alter or end; continuing is refused until one is held), due today, so the
    reminders, the weekly overdue ones and their escalation follow it (dialogs/review)."""
    if strategy.review_date > uow.ctx.today:
        strategy.review_date = uow.ctx.today
        await schedule_review_reminders(uow, strategy)
    await uow.audit(
        AuditAction.STRATEGY_REVIEW_DUE_NOW,
        strategy,
        case=who.reference,
        review_date=strategy.review_date.isoformat(),
    )


async def _after_decision(
    uow: Change, dispute: Dispute, strategy: ContactStrategy, who: Person
) -> None:
    """The letter (kept with the case, sent by the recorder), the card and who is told."""
    ctx, actor = uow.ctx, uow.actor
    assert isinstance(actor, StaffMember)
    names = await staff_repo.names(uow.session)
    recorder = await uow.session.get(StaffMember, dispute.recorded_by_id)
    assert recorder is not None
    await keep_letter(
        uow,
        LetterKind.DISPUTE_OUTCOME,
        strategy,
        who,
        deliver_to=recorder,
        names=names,
        extra={
            "received_on": dispute.received_on.strftime("%d %B %Y"),
            "outcome": dispute.outcome,
            # The person is told the outcome summary, never the internal outcome_reasons.
            "outcome_summary": dispute.outcome_summary or "",
            "considered_by": considered_by(ctx, actor),
            "still_in_force": strategy.status == StrategyStatus.ACTIVE,
        },
        about=f"The letter telling {who.name} the outcome of their dispute (s7.3).",
    )
    await uow.refresh_card(card_key(dispute.id), await card_model(uow.session, ctx, dispute))
    notice = {
        "reference": who.reference,
        "outcome": dispute.outcome,
        "label": cat.label(cat.DISPUTE_OUTCOMES, dispute.outcome or ""),
        "by": actor.name,
        "reasons": dispute.outcome_reasons,
        "strategy_id": strategy.id if strategy.status == StrategyStatus.ACTIVE else None,
    }
    told = {actor.id}
    people = [await uow.session.get(StaffMember, i) for i in (recorder.id, strategy.proposer_id)]
    if notice["strategy_id"] and dispute.outcome == "different":
        # The review it calls for is the authorisers' to hold, with the proposer's.
        people += await staff_repo.with_role(uow.session, role="authoriser")
    for member in people:
        if member is not None and member.id not in told and member.in_directory:
            # Start review only for someone who may start one (never a refused button).
            may = may_review(member, strategy)
            await uow.tell(member, Template.DISPUTE_OUTCOME_NOTICE, {**notice, "may_review": may})
            told.add(member.id)
