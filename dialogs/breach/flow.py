"""Recording a breach of a contact strategy: dealt with swiftly (s7.1).

One change stores the breach, alerts the people who look after the strategy at once
(a breach is urgent: never held for office hours), prepares the letter that reminds the
person of the reasons for the strategy and the consequences of breaching it (s7.1), and
counts recent breaches: at the threshold the alert says the strategy may need review or
further action, with legal advice sought by a senior manager (s7.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from cards.forms import Choice, FormSpec
from cards.ids import BreachField as F
from cards.ids import FormName
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.breach.rules import confirmation, time_errors
from dialogs.change import Change, change
from dialogs.contact import flow as contact_flow
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction, LetterKind, Template
from dialogs.people.find import one_person
from dialogs.strategy.in_force import for_form, guardians, strategy_in_force
from dialogs.strategy.letter import keep_letter
from dialogs.strategy.view import describe_restriction
from dialogs.validation import check
from storage import monitoring as monitoring_repo
from storage import staff as staff_repo
from storage.db import AsyncSession
from storage.models import Breach, ContactStrategy, Person, StaffMember

MAX_WHAT = 1500

BREACH = f.Head(FormName.BREACH, "Record a breach", "Record breach")


def _spec(ctx: Ctx, strategy: ContactStrategy, who: Person, names: dict[int, str]) -> FormSpec:
    restrictions = [
        Choice(value=str(r.id), label=describe_restriction(r, names)[:75])
        for r in sorted(strategy.restrictions, key=lambda r: r.id)
    ]
    return BREACH.form(
        ctx,
        [
            f.pick(F.ABOUT, "What was the contact about?", cat.CONTACT_ABOUT, kind="radio"),
            f.pick(
                F.RESTRICTION,
                "Which restriction was breached?",
                restrictions,
                required=False,
                hint="For a breach only.",
            ),
            f.when(F.OCCURRED_AT, "When did it happen?"),
            f.pick(F.CHANNEL, "How did they contact us?", cat.CHANNELS),
            f.textarea(
                F.WHAT_HAPPENED,
                "What happened?",
                max_length=MAX_WHAT,
                hint="Facts only; this goes in the case file.",
            ),
        ],
        intro=(
            f"*{who.reference}*: a breach of the contact strategy must be dealt with swiftly "
            "(s7.1). You need not engage with contact that breaks it. I'll alert the people "
            "who look after the strategy and prepare a letter reminding them of its reasons "
            "and of the consequences of breaching it. Contact about another matter, or a "
            "request for information, is never a breach: it is logged and passed on instead "
            "(s7.2, s9)."
        ),
        context={"strategy_id": strategy.id},
        values={F.OCCURRED_AT: int(ctx.now.timestamp())},
    )


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    """The breach form for a person (`person_id`, from /case) or for the strategy it was
    opened for (`strategy_id`, when a card brings it back). Any member of staff may record
    a breach: they are the ones who meet it."""
    async with turn.ctx.db.read() as session:
        who, strategy = await for_form(session, context, doing="breach")
        return _spec(turn.ctx, strategy, who, await staff_repo.names(session))


async def for_named(turn: Turn, args: str) -> FormSpec:
    """`/breach SC-2026-00042`: the same form, found by reference or name."""
    async with turn.ctx.db.read() as session:
        who = await one_person(session, args, usage="/breach")
    return await form(turn, {"person_id": who.id})


async def recent_breaches(session: AsyncSession, ctx: Ctx, person_id: int) -> int:
    """Breaches of any of the person's strategies inside the policy's window."""
    since = ctx.now - timedelta(days=ctx.policy.breach_window_days)
    return await monitoring_repo.breaches_since(session, person_id=person_id, since=since)


@dataclass(frozen=True)
class Recorded:
    reference: str
    recent: int
    threshold_reached: bool
    alerted: list[str]


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        strategy, who = await strategy_in_force(uow.session, context.get("strategy_id"))
        names = await staff_repo.names(uow.session)
        spec = _spec(ctx, strategy, who, names)
        values, errors = check(spec, submitted)
        since = strategy.activated_at
        errors.update(
            time_errors(
                values.get(F.OCCURRED_AT),
                now=ctx.now,
                in_force_since=since,
                field=F.OCCURRED_AT,
                local=ctx.local(since) if since else "",
            )
        )
        if (
            values.get(F.ABOUT) == "breach"
            and not values.get(F.RESTRICTION)
            and F.RESTRICTION not in errors
        ):
            errors[F.RESTRICTION] = "Choose which restriction was breached."
        if errors:
            raise FieldErrors(errors)
        if values[F.ABOUT] != "breach":
            return await _not_a_breach(uow, strategy, who, values)
        recorded = await _record(uow, strategy, who, names, values)
    return confirmation(
        recorded.reference,
        recorded.alerted,
        recorded.recent,
        threshold_reached=recorded.threshold_reached,
        window_days=ctx.policy.breach_window_days,
    )


async def _not_a_breach(
    uow: Change, strategy: ContactStrategy, who: Person, values: dict[str, Any]
) -> str:
    """s7.2, s9: another matter or a request for information, logged as a contact (and
    passed on as one), never as a breach: no letter, no count towards review."""
    about = values[F.ABOUT]
    answers = {q.id: False for q in cat.CONTACT_QUESTIONS}
    answers["new_complaint" if about == "other_matter" else "information_request"] = True
    logged = await contact_flow.log(
        uow,
        who,
        strategy,
        channel=values[F.CHANNEL],
        summary=values[F.WHAT_HAPPENED],
        occurred_at=values[F.OCCURRED_AT],
        answers=answers,
    )
    return "Not recorded as a breach. " + contact_flow.confirmation(logged)


async def _record(
    uow: Change,
    strategy: ContactStrategy,
    who: Person,
    names: dict[int, str],
    values: dict[str, Any],
) -> Recorded:
    ctx, actor = uow.ctx, uow.actor
    assert isinstance(actor, StaffMember)
    restriction = next(r for r in strategy.restrictions if str(r.id) == values[F.RESTRICTION])
    breach = Breach(
        strategy_id=strategy.id,
        restriction_id=restriction.id,
        occurred_at=values[F.OCCURRED_AT],
        channel=values[F.CHANNEL],
        description=values[F.WHAT_HAPPENED],
        recorded_by_id=actor.id,
        created_at=ctx.now,
    )
    uow.add(breach)
    await uow.flush()
    recent = await recent_breaches(uow.session, ctx, who.id)
    reached = recent >= ctx.policy.breach_threshold
    await uow.audit(
        AuditAction.BREACH_RECORDED,
        breach,
        case=who.reference,
        strategy=strategy.id,
        restriction=restriction.kind,
        recent=recent,
        threshold_reached=reached,
    )
    described = describe_restriction(restriction, names)
    await _letter(uow, strategy, who, names, breach, described)
    alert = {
        "strategy_id": strategy.id,
        "reference": who.reference,
        "recorded_by": actor.name,
        "occurred_at": ctx.local(breach.occurred_at),
        "channel": cat.label(cat.CHANNELS, breach.channel),
        "restriction": described,
        "what_happened": breach.description,
        "recent": recent,
        "window_days": ctx.policy.breach_window_days,
        "threshold": ctx.policy.breach_threshold,
        "threshold_reached": reached,
    }
    # Urgent: the proposer, the single point of contact and the authorisers, at once. The
    # recorder is left out: they already know, and their confirmation says the same.
    alerted = []
    for member in await guardians(uow.session, strategy):
        if member.id != actor.id:
            await uow.tell(member, Template.BREACH_ALERT, alert)
            alerted.append(member.name)
    return Recorded(who.reference, recent, reached, alerted)


async def _letter(
    uow: Change,
    strategy: ContactStrategy,
    who: Person,
    names: dict[int, str],
    breach: Breach,
    described: str,
) -> None:
    """s7.1: a clear reminder of the consequences of breaching, and of the reasons."""
    recorder = uow.actor
    assert isinstance(recorder, StaffMember)
    extra = {
        "breach_on": breach.occurred_at.astimezone(uow.ctx.zone).strftime("%d %B %Y"),
        "breach_channel": cat.label(cat.CHANNELS, breach.channel).lower(),
        "breached": described,
    }
    await keep_letter(
        uow,
        LetterKind.BREACH_REMINDER,
        strategy,
        who,
        deliver_to=recorder,
        names=names,
        extra=extra,
        about=(
            f"The letter reminding {who.name} of the reasons for the contact strategy and of "
            "the consequences of breaching it (s7.1)."
        ),
    )
