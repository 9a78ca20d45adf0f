"""Recording a breach of a contact strategy: dealt with swiftly (s7.1).

One transaction stores the breach, alerts the people who look after the strategy at
once (a breach is urgent: never held for office hours), prepares the letter that
reminds the person of the reasons for the strategy and the consequences of breaching
it (s7.1), and counts recent breaches: at the threshold the alert says the strategy
may need review or further action, with legal advice sought by a senior manager (s7.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import BreachField as F
from cards.ids import FormName
from dialogs import catalogue as cat
from dialogs import monitoring, notify
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.policy_map import carries
from dialogs.strategy_view import describe_restriction, staff_names
from dialogs.validation import check
from storage import audit
from storage.models import Breach, ContactStrategy, Person, StaffMember

MAX_WHAT = 1500
# A clock a few minutes fast on a phone should not refuse an honest "just now".
CLOCK_SLACK = timedelta(minutes=5)


def _spec(ctx: Ctx, strategy: ContactStrategy, who: Person, names: dict[int, str]) -> FormSpec:
    return FormSpec(
        name=FormName.BREACH,
        title="Record a breach",
        submit="Record breach",
        intro=(
            f"*{who.reference}*: a breach of the contact strategy must be dealt with swiftly "
            "(s7.1). You need not engage with contact that breaks it. I'll alert the people "
            "who look after the strategy and prepare a letter reminding them of its reasons "
            "and of the consequences of breaching it."
        ),
        fields=[
            FieldSpec(
                id=F.RESTRICTION,
                label="Which restriction was breached?",
                kind="select",
                options=[
                    Choice(value=str(r.id), label=describe_restriction(r, names)[:75])
                    for r in sorted(strategy.restrictions, key=lambda r: r.id)
                ],
            ),
            FieldSpec(id=F.OCCURRED_AT, label="When did it happen?", kind="datetime"),
            FieldSpec(
                id=F.CHANNEL,
                label="How did they contact us?",
                kind="select",
                options=[Choice(value=c.id, label=c.label) for c in cat.CHANNELS],
            ),
            FieldSpec(
                id=F.WHAT_HAPPENED,
                label="What happened?",
                kind="textarea",
                max_length=MAX_WHAT,
                hint="Facts only; this goes in the case file.",
            ),
        ],
        context={"strategy_id": strategy.id},
        values={F.OCCURRED_AT: int(ctx.now.timestamp())},
        timezone=ctx.policy.timezone,
    )


async def form_for_person(ctx: Ctx, *, actor: StaffMember, person_id: Any) -> FormSpec:
    """Any member of staff may record a breach: they are the ones who meet it."""
    async with ctx.db.read() as session:
        who, strategy = await monitoring.require_active(session, person_id, doing="breach")
        return _spec(ctx, strategy, who, await staff_names(session))


async def form_for_query(ctx: Ctx, *, actor: StaffMember, query: str) -> FormSpec:
    """`/breach SC-2026-00042`: the same form, found by reference or name."""
    async with ctx.db.read() as session:
        who = await monitoring.find_person(session, query, usage="/breach")
    return await form_for_person(ctx, actor=actor, person_id=who.id)


async def form_from_context(ctx: Ctx, *, actor: StaffMember, context: dict[str, Any]) -> FormSpec:
    """The form a submission answers, rebuilt from the context it carried.

    A platform whose forms keep no state (a Teams card) reads the answers back against
    it and shows it again with any errors; it is refused as submitting it would be.
    """
    async with ctx.db.read() as session:
        strategy, who = await monitoring.strategy_in_force(session, context.get("strategy_id"))
        return _spec(ctx, strategy, who, await staff_names(session))


@dataclass(frozen=True)
class Recorded:
    reference: str
    recent: int
    threshold_reached: bool
    alerted: list[str]


async def recent_breaches(session: AsyncSession, ctx: Ctx, person_id: int) -> int:
    """Breaches of any of the person's strategies inside the window (an alteration does not
    wipe the slate: s7.2 looks at whether adjusting the strategy has worked)."""
    since = ctx.now - timedelta(days=ctx.policy.breach_window_days)
    return (
        await session.execute(
            select(func.count())
            .select_from(Breach)
            .join(ContactStrategy, ContactStrategy.id == Breach.strategy_id)
            .where(ContactStrategy.person_id == person_id, Breach.occurred_at >= since)
        )
    ).scalar_one()


async def submit(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any], submitted: dict[str, Any]
) -> Recorded:
    async with ctx.db.write() as session:
        strategy, who = await monitoring.strategy_in_force(session, context.get("strategy_id"))
        names = await staff_names(session)
        spec = _spec(ctx, strategy, who, names)
        values, errors = check(spec, submitted)
        errors.update(monitoring.blank_answers(spec, values))
        when = values.get(F.OCCURRED_AT)
        if when is not None and when > ctx.now + CLOCK_SLACK:
            errors[F.OCCURRED_AT] = "This time is in the future."
        elif (
            when is not None
            and strategy.activated_at
            # Date-time pickers stop at the minute: the minute it came into force counts.
            and when < strategy.activated_at.replace(second=0, microsecond=0)
        ):
            errors[F.OCCURRED_AT] = (
                "The strategy came into force on "
                f"{ctx.local(strategy.activated_at)}; contact before then cannot breach it."
            )
        if errors:
            raise FieldErrors(errors)
        restriction = next(r for r in strategy.restrictions if str(r.id) == values[F.RESTRICTION])
        breach = Breach(
            strategy_id=strategy.id,
            restriction_id=restriction.id,
            occurred_at=when,
            channel=values[F.CHANNEL],
            description=values[F.WHAT_HAPPENED],
            recorded_by_id=actor.id,
            created_at=ctx.now,
        )
        session.add(breach)
        await session.flush()
        recent = await recent_breaches(session, ctx, who.id)
        reached = recent >= ctx.policy.breach_threshold
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="breach.recorded",
            entity_type="breach",
            entity_id=breach.id,
            detail={
                "case": who.reference,
                "strategy": strategy.id,
                "restriction": restriction.kind,
                "recent": recent,
                "threshold_reached": reached,
            },
            at=ctx.now,
        )
        described = describe_restriction(restriction, names)
        channel = cat.label(cat.CHANNELS, breach.channel).lower()
        await _letter(session, ctx, strategy, who, actor, names, breach, described, channel)
        alerted = await _alert(
            session,
            ctx,
            strategy,
            who,
            actor,
            {
                "strategy_id": strategy.id,
                "reference": who.reference,
                "recorded_by": actor.name,
                "occurred_at": ctx.local(when),
                "channel": cat.label(cat.CHANNELS, breach.channel),
                "restriction": described,
                "what_happened": breach.description,
                "recent": recent,
                "window_days": ctx.policy.breach_window_days,
                "threshold": ctx.policy.breach_threshold,
                "threshold_reached": reached,
            },
        )
    ctx.wake_outbox()
    return Recorded(who.reference, recent, reached, alerted)


async def _letter(
    session: AsyncSession,
    ctx: Ctx,
    strategy: ContactStrategy,
    who: Person,
    actor: StaffMember,
    names: dict[int, str],
    breach: Breach,
    described: str,
    channel: str,
) -> None:
    model = {
        **monitoring.letter_model(ctx, strategy, who, actor, names),
        "breach_on": breach.occurred_at.astimezone(ctx.zone).strftime("%d %B %Y"),
        "breach_channel": channel,
        "breached": described,
    }
    await monitoring.keep_letter(
        session,
        ctx,
        kind="breach_reminder",
        model=model,
        who=who,
        strategy=strategy,
        author=actor,
        deliver_to=actor,
        comment=(
            f"The letter reminding {who.name} of the reasons for the contact strategy and of "
            f"the consequences of breaching it (s7.1). Send it by {model['send_by']}. It is "
            "kept in the case file."
        ),
    )


async def _alert(
    session: AsyncSession,
    ctx: Ctx,
    strategy: ContactStrategy,
    who: Person,
    actor: StaffMember,
    model: dict[str, Any],
) -> list[str]:
    """Urgent: the proposer, the single point of contact and the authorisers, at once.

    The recorder is left out: they already know, and their confirmation says the same.
    """
    told = []
    for member in await monitoring.guardians(session, strategy):
        if member.id == actor.id:
            continue
        await notify.send(session, to=member, template="breach_alert", model=model, origin=actor)
        told.append(member.name)
    return told


def confirmation(recorded: Recorded, ctx: Ctx) -> str:
    """What the recorder reads once it is stored."""
    text = f"Breach recorded for *{recorded.reference}*. "
    text += (
        f"I've alerted {', '.join(recorded.alerted)}. "
        if recorded.alerted
        else "There was no one else to alert. "
    )
    text += "The reminder letter is on its way to you as a file, to send to them."
    if recorded.threshold_reached:
        text += (
            f" This is breach {recorded.recent} in {ctx.policy.breach_window_days} days: the "
            "strategy may need review or further action (s7.2)."
        )
    return text


POLICY = (
    carries(
        "7.1",
        "A breach is recorded and dealt with swiftly: those who look after the strategy "
        "are alerted at once and a letter reminds the person of the reasons and the "
        "consequences.",
        "tests/test_slack_monitoring.py::test_breach_alerts_the_right_people_at_once_and_prepares_the_letter",
        "tests/test_slack_monitoring.py::test_breach_letter_reminds_of_reasons_and_consequences",
    ),
    carries(
        "7.2",
        "Repeated breaches within the window prompt review or further action.",
        "tests/test_slack_monitoring.py::test_breach_threshold_counts_only_the_window",
    ),
)
