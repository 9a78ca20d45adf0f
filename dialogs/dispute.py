"""A dispute of a decision to restrict contact, considered independently (s7.3).

The person writes to the Chief Executive; staff record the letter received and its
grounds, and the Chief Executive gets a card to decide on. Nobody should judge their
own decision, so if the Chief Executive authorised the strategy (or proposed it),
the card tells them so and someone independent is asked instead: another holder of
the chief executive role, else an authoriser who was neither the proposer nor the
one who approved it. One person is assigned; only they may decide, and the first
decision wins. The outcome is written to the person (s7.3: "informed in writing that
either the restricted contact arrangements still apply or a different course of
action has been determined") and kept with the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import DisputeField as F
from cards.ids import DisputeOutcomeField as O
from cards.ids import FormName
from dialogs import catalogue as cat
from dialogs import monitoring, notify
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, DomainError, FieldErrors, Forbidden, NotFound
from dialogs.policy_map import carries
from dialogs.strategy_view import describe_restriction, staff_names
from dialogs.validation import check
from storage import audit, outbox
from storage import staff as staff_repo
from storage.models import Authorisation, ContactStrategy, Dispute, Person, StaffMember

MAX_GROUNDS = 3000
MAX_REASONS = 3000


def card_key(dispute_id: int) -> str:
    return f"dispute:{dispute_id}"


def _record_spec(ctx: Ctx, who: Person, strategy: ContactStrategy) -> FormSpec:
    return FormSpec(
        name=FormName.DISPUTE,
        title="Record a dispute",
        submit="Send to decide",
        intro=(
            f"*{who.reference}*: anyone may dispute a decision to restrict contact by writing "
            "to the Chief Executive (s7.3). Record what they wrote; it goes to the Chief "
            "Executive, or to someone independent if the Chief Executive took the decision."
        ),
        fields=[
            FieldSpec(id=F.RECEIVED_ON, label="Date received", kind="date"),
            FieldSpec(
                id=F.GROUNDS,
                label="Their grounds, as they put them",
                kind="textarea",
                max_length=MAX_GROUNDS,
            ),
        ],
        context={"strategy_id": strategy.id},
        values={F.RECEIVED_ON: monitoring.today(ctx).isoformat()},
        timezone=ctx.policy.timezone,
    )


async def record_form(ctx: Ctx, *, actor: StaffMember, person_id: Any) -> FormSpec:
    """Any member of staff may record a dispute: whoever opens the post."""
    async with ctx.db.read() as session:
        who, strategy = await monitoring.require_active(session, person_id, doing="dispute")
        return _record_spec(ctx, who, strategy)


async def record_form_from_context(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any]
) -> FormSpec:
    """The record form a submission answers, rebuilt from the context it carried.

    A platform whose forms keep no state (a Teams card) reads the answers back against
    it and shows it again with any errors; it is refused as submitting it would be.
    """
    async with ctx.db.read() as session:
        strategy, who = await monitoring.strategy_in_force(session, context.get("strategy_id"))
        return _record_spec(ctx, who, strategy)


@dataclass(frozen=True)
class Assignment:
    decider: StaffMember
    # Chief executives who took part in the decision: told, but not asked.
    involved_ces: list[StaffMember]
    why: str


async def _involved(session: AsyncSession, strategy: ContactStrategy) -> set[int]:
    approvers = (
        await session.execute(
            select(Authorisation.decided_by_id).where(
                Authorisation.strategy_id == strategy.id, Authorisation.status == "approved"
            )
        )
    ).scalars()
    return {strategy.proposer_id, *(a for a in approvers if a is not None)}


def _why(decider: StaffMember, involved_ces: list[StaffMember], any_ce: bool) -> str:
    if involved_ces:
        names = " and ".join(c.name for c in involved_ces)
        return (
            f"The Chief Executive ({names}) took part in the decision to restrict contact, "
            "so you have been asked to consider the dispute independently instead."
        )
    if decider.has_role("chief_executive"):
        return "As Chief Executive, you consider disputes of a decision to restrict contact."
    if not any_ce:
        return (
            "There is no Chief Executive in the staff directory, so you have been asked as "
            "someone who took no part in the decision."
        )
    return "You have been asked as someone who took no part in the decision."


async def _chief_executives(
    session: AsyncSession, strategy: ContactStrategy
) -> tuple[list[StaffMember], list[StaffMember], set[int]]:
    """(all chief executives, those who took part in the decision, everyone who did)."""
    involved = await _involved(session, strategy)
    ces = await staff_repo.with_role(session, role="chief_executive")
    return ces, [c for c in ces if c.id in involved], involved


async def assign(session: AsyncSession, strategy: ContactStrategy) -> Assignment:
    """The one person who should consider the dispute, and why it is them."""
    ces, involved_ces, involved = await _chief_executives(session, strategy)
    candidates = [c for c in ces if c.id not in involved]
    candidates += [
        a for a in await staff_repo.with_role(session, role="authoriser") if a.id not in involved
    ]
    if not candidates:
        raise DomainError(
            "Nobody independent of the decision is in the staff directory to consider this "
            "dispute (another Chief Executive or an authoriser who took no part). Ask an "
            "administrator to add one, then record it again."
        )
    decider = candidates[0]
    return Assignment(decider, involved_ces, _why(decider, involved_ces, bool(ces)))


async def card_model(session: AsyncSession, ctx: Ctx, dispute: Dispute) -> dict[str, Any]:
    """The decider's card; the same model after the decision shows the outcome."""
    strategy = await session.get(ContactStrategy, dispute.strategy_id)
    assert strategy is not None
    who = await session.get(Person, strategy.person_id)
    assert who is not None
    names = await staff_names(session)
    ces, involved_ces, _ = await _chief_executives(session, strategy)
    decider = await session.get(StaffMember, dispute.decider_id) if dispute.decider_id else None
    approvers = (
        await session.execute(
            select(Authorisation.decided_by_id).where(
                Authorisation.strategy_id == strategy.id, Authorisation.status == "approved"
            )
        )
    ).scalars()
    decision = None
    if dispute.outcome is not None:
        decision = {
            "outcome": dispute.outcome,
            "label": cat.label(cat.DISPUTE_OUTCOMES, dispute.outcome),
            "by": names.get(dispute.decider_id or 0, "someone"),
            "at": ctx.local(dispute.decided_at) if dispute.decided_at else "",
            "reasons": dispute.outcome_reasons,
        }
    return {
        "dispute_id": dispute.id,
        "reference": who.reference,
        "person_name": who.name,
        "received_on": f"{dispute.received_on:%d %b %Y}",
        "grounds": dispute.grounds,
        "recorded_by": names.get(dispute.recorded_by_id, "someone"),
        "restrictions": [describe_restriction(r, names) for r in strategy.restrictions],
        "reasons": strategy.reasons,
        "proposed_by": names.get(strategy.proposer_id, "someone"),
        "authorised_by": [names.get(a, "someone") for a in approvers if a is not None],
        "decider": names.get(dispute.decider_id or 0, "someone"),
        "why": _why(decider, involved_ces, bool(ces)) if decider else "",
        "decision": decision,
    }


async def submit_dispute(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any], submitted: dict[str, Any]
) -> str:
    async with ctx.db.write() as session:
        strategy, who = await monitoring.strategy_in_force(session, context.get("strategy_id"))
        spec = _record_spec(ctx, who, strategy)
        values, errors = check(spec, submitted)
        errors.update(monitoring.blank_answers(spec, values))
        received = values.get(F.RECEIVED_ON)
        if received is not None and received > monitoring.today(ctx):
            errors[F.RECEIVED_ON] = "This date is in the future."
        elif (
            received is not None
            and strategy.activated_at is not None
            and received < strategy.activated_at.astimezone(ctx.zone).date()
        ):
            errors[F.RECEIVED_ON] = (
                "That is before the strategy came into force "
                f"({strategy.activated_at.astimezone(ctx.zone):%d %b %Y})."
            )
        if errors:
            raise FieldErrors(errors)
        assignment = await assign(session, strategy)
        dispute = Dispute(
            strategy_id=strategy.id,
            received_on=received,
            grounds=values[F.GROUNDS],
            recorded_by_id=actor.id,
            decider_id=assignment.decider.id,
            created_at=ctx.now,
        )
        session.add(dispute)
        await session.flush()
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="dispute.recorded",
            entity_type="dispute",
            entity_id=dispute.id,
            detail={
                "case": who.reference,
                "strategy": strategy.id,
                "decider": assignment.decider.id,
                "chief_executive_involved": bool(assignment.involved_ces),
            },
            at=ctx.now,
        )
        model = await card_model(session, ctx, dispute)
        await notify.send(
            session,
            to=assignment.decider,
            template="dispute_card",
            model=model,
            card_key=card_key(dispute.id),
            origin=actor,
        )
        for ce in assignment.involved_ces:
            await notify.send(
                session,
                to=ce,
                template="dispute_notice",
                model={"reference": who.reference, "decider": assignment.decider.name},
                origin=actor,
            )
    ctx.wake_outbox()
    return (
        f"Dispute recorded for *{who.reference}*. {assignment.decider.name} has been asked to "
        "consider it (s7.3). I'll tell you the outcome and send you the letter to them."
    )


def _may_still_decide(member: StaffMember | None) -> bool:
    return (
        member is not None
        and member.in_directory
        and (member.has_role("chief_executive") or member.has_role("authoriser"))
    )


@dataclass(frozen=True)
class Reassigned:
    dispute_id: int
    reference: str
    decider: StaffMember | None  # None: nobody independent is left to ask


async def reassign_undecided(session: AsyncSession, ctx: Ctx) -> list[Reassigned]:
    """Give an undecided dispute whose decider has left (or lost the role) to someone else.

    Only the assigned person may decide (s7.3), so without this a dispute would wait for
    ever once they left the directory. Run after every directory sync, in its transaction.
    """
    undecided = (
        (await session.execute(select(Dispute).where(Dispute.outcome.is_(None)))).scalars().all()
    )
    done: list[Reassigned] = []
    for dispute in undecided:
        current = await session.get(StaffMember, dispute.decider_id) if dispute.decider_id else None
        if _may_still_decide(current):
            continue
        strategy = await session.get(ContactStrategy, dispute.strategy_id)
        assert strategy is not None
        who = await session.get(Person, strategy.person_id)
        assert who is not None
        try:
            assignment = await assign(session, strategy)
        except DomainError:
            done.append(Reassigned(dispute.id, who.reference, None))
            continue
        dispute.decider_id = assignment.decider.id
        await audit.record(
            session,
            actor="system",
            action="dispute.reassigned",
            entity_type="dispute",
            entity_id=dispute.id,
            detail={
                "case": who.reference,
                "from": current.id if current is not None else None,
                "to": assignment.decider.id,
                "reason": "the person asked is no longer in the directory as a decider",
            },
            at=ctx.now,
        )
        await notify.send(
            session,
            to=assignment.decider,
            template="dispute_card",
            model=await card_model(session, ctx, dispute),
            card_key=card_key(dispute.id),
        )
        done.append(Reassigned(dispute.id, who.reference, assignment.decider))
    return done


async def _load(session: AsyncSession, dispute_id: Any) -> Dispute:
    dispute = await session.get(Dispute, dispute_id) if isinstance(dispute_id, int) else None
    if dispute is None:
        raise NotFound("That dispute could not be found.")
    return dispute


async def _check_may_decide(
    session: AsyncSession, ctx: Ctx, actor: StaffMember, dispute: Dispute
) -> None:
    if dispute.outcome is not None:
        who = await session.get(StaffMember, dispute.decider_id) if dispute.decider_id else None
        when = ctx.local(dispute.decided_at) if dispute.decided_at else "an earlier time"
        raise AlreadyDone(f"Already decided by {who.name if who else 'someone'} at {when}.")
    if actor.id != dispute.decider_id:
        raise Forbidden(
            "Only the person asked to consider this dispute can decide it: it must be "
            "considered by someone independent of the decision to restrict contact (s7.3)."
        )


def _outcome_spec(ctx: Ctx, dispute_id: int) -> FormSpec:
    return FormSpec(
        name=FormName.DISPUTE_OUTCOME,
        title="Decide the dispute",
        submit="Record outcome",
        intro=(
            "They will be told in writing that either the restricted contact arrangements "
            "still apply or a different course of action has been determined (s7.3)."
        ),
        fields=[
            FieldSpec(
                id=O.OUTCOME,
                label="Outcome",
                kind="radio",
                options=[Choice(value=i.id, label=i.label) for i in cat.DISPUTE_OUTCOMES],
            ),
            FieldSpec(
                id=O.REASONS,
                label="Reasons",
                kind="textarea",
                max_length=MAX_REASONS,
                hint=(
                    "These go, in plain words, in the letter to them. For a different course, "
                    "say what it is."
                ),
            ),
        ],
        context={"dispute_id": dispute_id},
        timezone=ctx.policy.timezone,
    )


async def outcome_form(ctx: Ctx, *, actor: StaffMember, dispute_id: Any) -> FormSpec:
    async with ctx.db.read() as session:
        dispute = await _load(session, dispute_id)
        await _check_may_decide(session, ctx, actor, dispute)
        return _outcome_spec(ctx, dispute.id)


async def decide(
    ctx: Ctx, *, actor: StaffMember, dispute_id: Any, submitted: dict[str, Any]
) -> str:
    async with ctx.db.write() as session:
        dispute = await _load(session, dispute_id)
        await _check_may_decide(session, ctx, actor, dispute)
        spec = _outcome_spec(ctx, dispute.id)
        values, errors = check(spec, submitted)
        errors.update(monitoring.blank_answers(spec, values))
        if errors:
            raise FieldErrors(errors)
        strategy = await session.get(ContactStrategy, dispute.strategy_id)
        assert strategy is not None
        if values[O.OUTCOME] == "upheld" and strategy.status != "active":
            raise FieldErrors(
                {
                    O.OUTCOME: f"The strategy is no longer in force (it is {strategy.status}), "
                    "so its arrangements cannot still apply."
                }
            )
        result = await session.execute(
            update(Dispute)
            .where(Dispute.id == dispute.id, Dispute.outcome.is_(None))
            .values(
                outcome=values[O.OUTCOME],
                outcome_reasons=values[O.REASONS],
                decided_at=ctx.now,
            )
        )
        await session.refresh(dispute)
        if not result.rowcount:
            await _check_may_decide(session, ctx, actor, dispute)
        who = await monitoring.person(session, strategy.person_id)
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="dispute.decided",
            entity_type="dispute",
            entity_id=dispute.id,
            detail={"case": who.reference, "outcome": dispute.outcome},
            at=ctx.now,
        )
        await _after_decision(session, ctx, dispute, strategy, who, actor)
    ctx.wake_outbox()
    return (
        f"Outcome recorded for *{who.reference}*. The letter telling them has gone to "
        "whoever recorded the dispute, to send."
    )


async def _after_decision(
    session: AsyncSession,
    ctx: Ctx,
    dispute: Dispute,
    strategy: ContactStrategy,
    who: Person,
    actor: StaffMember,
) -> None:
    """The letter (kept with the case, sent by the recorder), the card and who is told."""
    names = await staff_names(session)
    recorder = await session.get(StaffMember, dispute.recorded_by_id)
    assert recorder is not None
    model = {
        **monitoring.letter_model(ctx, strategy, who, actor, names),
        "received_on": dispute.received_on.strftime("%d %B %Y"),
        "outcome": dispute.outcome,
        "outcome_reasons": dispute.outcome_reasons,
        "still_in_force": strategy.status == "active",
    }
    await monitoring.keep_letter(
        session,
        ctx,
        kind="dispute_outcome",
        model=model,
        who=who,
        strategy=strategy,
        author=actor,
        deliver_to=recorder,
        comment=(
            f"The letter telling {who.name} the outcome of their dispute (s7.3). Send it by "
            f"{model['send_by']}. It is kept in the case file."
        ),
    )
    await outbox.refresh_card(
        session, card_key=card_key(dispute.id), model=await card_model(session, ctx, dispute)
    )
    notice = {
        "reference": who.reference,
        "outcome": dispute.outcome,
        "label": cat.label(cat.DISPUTE_OUTCOMES, dispute.outcome or ""),
        "by": actor.name,
        "reasons": dispute.outcome_reasons,
        "strategy_id": strategy.id if strategy.status == "active" else None,
    }
    told = {actor.id}
    for staff_id in (recorder.id, strategy.proposer_id):
        member = await session.get(StaffMember, staff_id)
        if member is not None and member.id not in told and member.in_directory:
            await notify.send(
                session, to=member, template="dispute_outcome_notice", model=notice, origin=actor
            )
            told.add(member.id)


POLICY = (
    carries(
        "7.3",
        "A dispute goes to the Chief Executive, or to someone independent when the Chief "
        "Executive took part in the decision, and the outcome is sent in writing.",
        "tests/test_slack_dispute.py::test_the_chief_executive_considers_a_dispute",
        "tests/test_slack_dispute.py::test_a_chief_executive_who_authorised_it_is_not_asked",
        "tests/test_slack_dispute.py::test_a_dispute_whose_decider_left_goes_to_someone_independent",
    ),
)
