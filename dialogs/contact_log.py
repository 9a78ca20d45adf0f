"""The contact log: every contact from a restricted person is still read (s7.2).

A strategy limits how someone contacts the office, never whether what they say is
heard: each contact is logged and checked for new information, a new complaint, a
criminal matter or a safeguarding issue. The last two cannot wait, so the recorder's
manager is alerted at once, whatever the hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.forms import Choice, FieldSpec, FormSpec
from cards.ids import ContactLogField as F
from cards.ids import FormName
from dialogs import catalogue as cat
from dialogs import monitoring, notify
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.policy_map import carries
from dialogs.validation import check
from storage import audit
from storage.models import ContactLog, Person, StaffMember

MAX_SUMMARY = 1500
RECENT = 5
CLOCK_SLACK = timedelta(minutes=5)
FLAG_LABELS = {
    "new_information": "new information",
    "new_complaint": "new complaint",
    "criminal": "criminal matter",
    "safeguarding": "safeguarding issue",
}
URGENT = ("criminal", "safeguarding")


def _spec(ctx: Ctx, who: Person) -> FormSpec:
    yes_no = [Choice(value=i.id, label=i.label) for i in cat.YES_NO]
    return FormSpec(
        name=FormName.CONTACT_LOG,
        title="Log a contact",
        submit="Log contact",
        intro=(
            f"*{who.reference}*: whatever the strategy, every contact must be read for new "
            "information or complaints, criminal matters and safeguarding issues (s7.2). "
            "A yes to a criminal matter or a safeguarding issue alerts your manager at once."
        ),
        fields=[
            FieldSpec(id=F.OCCURRED_AT, label="When did they contact us?", kind="datetime"),
            FieldSpec(
                id=F.CHANNEL,
                label="How?",
                kind="select",
                options=[Choice(value=c.id, label=c.label) for c in cat.CHANNELS],
            ),
            FieldSpec(
                id=F.SUMMARY,
                label="What did they say or ask?",
                kind="textarea",
                max_length=MAX_SUMMARY,
            ),
            *[
                FieldSpec(id=q.id, label=q.label, kind="radio", options=yes_no)
                for q in cat.CONTACT_QUESTIONS
            ],
        ],
        context={"person_id": who.id},
        values={F.OCCURRED_AT: int(ctx.now.timestamp())},
        timezone=ctx.policy.timezone,
    )


async def form(ctx: Ctx, *, actor: StaffMember, person_id: Any) -> FormSpec:
    async with ctx.db.read() as session:
        who, _ = await monitoring.require_active(session, person_id, doing="log against")
        return _spec(ctx, who)


@dataclass(frozen=True)
class Logged:
    reference: str
    flags: list[str]
    alerted: list[str]


async def submit(
    ctx: Ctx, *, actor: StaffMember, context: dict[str, Any], submitted: dict[str, Any]
) -> Logged:
    async with ctx.db.write() as session:
        who, strategy = await monitoring.require_active(
            session, context.get("person_id"), doing="log against"
        )
        spec = _spec(ctx, who)
        values, errors = check(spec, submitted)
        errors.update(monitoring.blank_answers(spec, values))
        when = values.get(F.OCCURRED_AT)
        if when is not None and when > ctx.now + CLOCK_SLACK:
            errors[F.OCCURRED_AT] = "This time is in the future."
        if errors:
            raise FieldErrors(errors)
        answers = {q.id: values[q.id] == "yes" for q in cat.CONTACT_QUESTIONS}
        entry = ContactLog(
            person_id=who.id,
            strategy_id=strategy.id,
            channel=values[F.CHANNEL],
            summary=values[F.SUMMARY],
            logged_by_id=actor.id,
            occurred_at=when,
            created_at=ctx.now,
            **answers,
        )
        session.add(entry)
        await session.flush()
        flags = [FLAG_LABELS[k] for k, v in answers.items() if v]
        await audit.record(
            session,
            actor=f"staff:{actor.id}",
            action="contact.logged",
            entity_type="contact_log",
            entity_id=entry.id,
            detail={
                "case": who.reference,
                "strategy": strategy.id,
                "flags": sorted(k for k, v in answers.items() if v),
            },
            at=ctx.now,
        )
        alerted: list[str] = []
        if any(answers[k] for k in URGENT):
            alerted = await _alert(session, ctx, entry, who, actor, flags)
    if alerted:
        ctx.wake_outbox()
    return Logged(who.reference, flags, alerted)


async def _alert(
    session: AsyncSession,
    ctx: Ctx,
    entry: ContactLog,
    who: Person,
    actor: StaffMember,
    flags: list[str],
) -> list[str]:
    """The recorder's manager (or, with none on file, the authorisers), at once."""
    deciders = await notify.incident_card_recipients(session, reporter=actor)
    model = {
        "reference": who.reference,
        "logged_by": actor.name,
        "occurred_at": ctx.local(entry.occurred_at),
        "channel": cat.label(cat.CHANNELS, entry.channel),
        "summary": entry.summary,
        "criminal": entry.criminal,
        "safeguarding": entry.safeguarding,
        "flags": flags,
        "fallback": deciders.fallback,
    }
    for member in deciders.people:
        await notify.send(
            session, to=member, template="contact_flag_alert", model=model, origin=actor
        )
    return [m.name for m in deciders.people]


def confirmation(logged: Logged) -> str:
    text = f"Contact logged for *{logged.reference}*."
    if logged.alerted:
        text += f" I've alerted {', '.join(logged.alerted)} at once."
    if "new complaint" in logged.flags:
        text += (
            " Deal with the new complaint as normal: the strategy does not stop them "
            "raising new matters (s7.2)."
        )
    if "new information" in logged.flags:
        text += " New information may mean the strategy needs review: tell whoever proposed it."
    return text


async def recent(session: AsyncSession, ctx: Ctx, person_id: int) -> dict[str, Any]:
    """The last few entries for /case, newest first, with what each was flagged for."""
    total = (
        await session.execute(
            select(func.count()).select_from(ContactLog).where(ContactLog.person_id == person_id)
        )
    ).scalar_one()
    rows = (
        await session.execute(
            select(ContactLog, StaffMember.name)
            .join(StaffMember, StaffMember.id == ContactLog.logged_by_id)
            .where(ContactLog.person_id == person_id)
            .order_by(ContactLog.occurred_at.desc(), ContactLog.id.desc())
            .limit(RECENT)
        )
    ).all()
    return {
        "total": total,
        "entries": [
            {
                "at": ctx.local(c.occurred_at),
                "channel": cat.label(cat.CHANNELS, c.channel),
                "summary": c.summary,
                "by": name,
                "flags": [label for key, label in FLAG_LABELS.items() if getattr(c, key)],
                "urgent": c.criminal or c.safeguarding,
            }
            for c, name in rows
        ],
    }


POLICY = (
    carries(
        "7.2",
        "Every contact from a restricted person is logged and read for new information, "
        "complaints, criminal matters or safeguarding; the last two alert the manager at "
        "once.",
        "tests/test_slack_monitoring.py::test_contact_log_flags_alert_the_manager_at_once",
        "tests/test_slack_monitoring.py::test_alerts_are_not_held_for_office_hours",
    ),
)
