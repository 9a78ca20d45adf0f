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

from cards.forms import FormSpec
from cards.ids import ContactLogField as F
from cards.ids import FormName
from cards.wording import join_names
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.incident.card import recipients
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction, Template
from dialogs.strategy.in_force import require_active
from dialogs.validation import check
from storage import monitoring as monitoring_repo
from storage.db import AsyncSession
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

CONTACT_LOG = f.Head(FormName.CONTACT_LOG, "Log a contact", "Log contact")


def _spec(ctx: Ctx, who: Person) -> FormSpec:
    return CONTACT_LOG.form(
        ctx,
        [
            f.when(F.OCCURRED_AT, "When did they contact us?"),
            f.pick(F.CHANNEL, "How?", cat.CHANNELS),
            f.textarea(F.SUMMARY, "What did they say or ask?", max_length=MAX_SUMMARY),
            *[f.yes_no(q.id, q.label) for q in cat.CONTACT_QUESTIONS],
        ],
        intro=(
            f"*{who.reference}*: whatever the strategy, every contact must be read for new "
            "information or complaints, criminal matters and safeguarding issues (s7.2). "
            "A yes to a criminal matter or a safeguarding issue alerts your manager at once."
        ),
        context={"person_id": who.id},
        values={F.OCCURRED_AT: int(ctx.now.timestamp())},
    )


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        who, _ = await require_active(session, context.get("person_id"), doing="log against")
        return _spec(turn.ctx, who)


@dataclass(frozen=True)
class Logged:
    reference: str
    flags: list[str]
    alerted: list[str]


def confirmation(logged: Logged) -> str:
    text = f"Contact logged for *{logged.reference}*."
    if logged.alerted:
        text += f" I've alerted {join_names(logged.alerted)} at once."
    if "new complaint" in logged.flags:
        text += (
            " Deal with the new complaint as normal: the strategy does not stop them "
            "raising new matters (s7.2)."
        )
    if "new information" in logged.flags:
        text += " New information may mean the strategy needs review: tell whoever proposed it."
    return text


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        who, strategy = await require_active(
            uow.session, context.get("person_id"), doing="log against"
        )
        spec = _spec(ctx, who)
        values, errors = check(spec, submitted)
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
        uow.add(entry)
        flags = [FLAG_LABELS[k] for k, v in answers.items() if v]
        await uow.audit(
            AuditAction.CONTACT_LOGGED,
            entry,
            case=who.reference,
            strategy=strategy.id,
            flags=sorted(k for k, v in answers.items() if v),
        )
        alerted: list[str] = []
        if any(answers[k] for k in URGENT):
            alerted = await _alert(uow, entry, who, flags)
    return confirmation(Logged(who.reference, flags, alerted))


async def _alert(uow: Change, entry: ContactLog, who: Person, flags: list[str]) -> list[str]:
    """The recorder's manager (or, with none on file, the authorisers), at once."""
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    told = await recipients(uow.session, reporter=actor)
    model = {
        "reference": who.reference,
        "logged_by": actor.name,
        "occurred_at": uow.ctx.local(entry.occurred_at),
        "channel": cat.label(cat.CHANNELS, entry.channel),
        "summary": entry.summary,
        "criminal": entry.criminal,
        "safeguarding": entry.safeguarding,
        "flags": flags,
        "fallback": told.fallback,
    }
    for member in told.people:
        await uow.tell(member, Template.CONTACT_FLAG_ALERT, model)
    return [m.name for m in told.people]


async def recent(session: AsyncSession, ctx: Ctx, person_id: int) -> dict[str, Any]:
    """The last few entries for /case, newest first, with what each was flagged for."""
    rows = await monitoring_repo.recent_contacts(session, person_id=person_id, limit=RECENT)
    return {
        "total": await monitoring_repo.contacts_of_person(session, person_id=person_id),
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
