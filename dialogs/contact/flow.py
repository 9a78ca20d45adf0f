"""The contact log: every contact from a person with an open case is read (s7.2, s9).

A strategy limits how someone contacts the office, never whether what they say is
heard, and a person without one may still need their contacts kept: each contact is
logged and checked for new information, a new complaint (another matter), a criminal
matter, a safeguarding issue, and a request for information. What cannot wait reaches
the right people at once, whatever the hour: a new matter, a criminal matter or a
safeguarding issue goes to the recorder's manager and to whoever proposed the strategy
in force (s7.2); a freedom of information or subject access request goes to whoever
handles them (policy.information_requests_to; s9). The breach form's "not a breach"
answers are logged here too (`log`), so the rule has one home.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
from dialogs.matter import flow as matter_flow
from dialogs.people.find import person
from dialogs.validation import check
from storage import incidents as incidents_repo
from storage import monitoring as monitoring_repo
from storage import staff as staff_repo
from storage import strategies as strategies_repo
from storage.db import AsyncSession
from storage.models import ContactLog, ContactStrategy, Person, StaffMember, Warning
from storage.models.status import WarningKind

MAX_SUMMARY = 1500
RECENT = 5
CLOCK_SLACK = timedelta(minutes=5)
FLAG_LABELS = {
    "new_information": "new information",
    "new_complaint": "new complaint",
    "criminal": "criminal matter",
    "safeguarding": "safeguarding issue",
    "information_request": "request for information (s9)",
}
READ_NO_ACTION = "read, no action"
# s7.2: what reaches the recorder's manager and the strategy's proposer at once.
URGENT = ("new_complaint", "criminal", "safeguarding")
RAISED = {
    "new_complaint": "a new matter",
    "criminal": "a criminal matter",
    "safeguarding": "a safeguarding issue",
    "information_request": "a request for information (s9)",
}

CONTACT_LOG = f.Head(FormName.CONTACT_LOG, "Log a contact", "Log contact")


def _spec(ctx: Ctx, who: Person, strategy: ContactStrategy | None) -> FormSpec:
    whatever = "whatever the strategy" if strategy is not None else "with or without a strategy"
    return CONTACT_LOG.form(
        ctx,
        [
            f.when(F.OCCURRED_AT, "When did they contact us?"),
            f.pick(F.CHANNEL, "How?", cat.CHANNELS),
            f.textarea(F.SUMMARY, "What did they say or ask?", max_length=MAX_SUMMARY),
            *[f.yes_no(q.id, q.label) for q in cat.CONTACT_QUESTIONS],
            f.yes_no(
                F.READ_NO_ACTION,
                "Is it more correspondence on a matter they were warned about in writing? "
                "If so it is read and filed, with no action (s6)",
                hint="Subject to any legislative requirements: a request for information is "
                "still answered (s9), and a new complaint is another matter.",
            ),
        ],
        intro=(
            f"*{who.reference}*: {whatever}, every contact must be read for new information "
            "or complaints, criminal matters and safeguarding issues (s7.2), and for a "
            "request for information (s9). A new matter, a criminal matter or a safeguarding "
            "issue goes to your manager at once; a request for information, to whoever "
            "handles them."
        ),
        context={"person_id": who.id},
        values={F.OCCURRED_AT: int(ctx.now.timestamp())},
    )


async def open_case(session: AsyncSession, person_id: Any) -> tuple[Person, ContactStrategy | None]:
    """The person (refused once their case is closed for good) and their strategy in
    force, if any."""
    who = await person(session, person_id)
    return who, await strategies_repo.in_force(session, person_id=who.id)


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        who, strategy = await open_case(session, context.get("person_id"))
        return _spec(turn.ctx, who, strategy)


@dataclass(frozen=True)
class Logged:
    reference: str
    flags: list[str]
    alerted: list[str]
    filed_no_action: bool = False


def confirmation(logged: Logged) -> str:
    text = f"Contact logged for *{logged.reference}*."
    if logged.alerted:
        text += f" I've told {join_names(logged.alerted)} at once."
    if "new complaint" in logged.flags:
        text += (
            " Deal with the new complaint as normal: a strategy does not stop them "
            "raising new matters (s7.2). It stays open on /case until you record how."
        )
    if "new information" in logged.flags:
        text += " New information may mean the strategy needs review: tell whoever proposed it."
    if logged.filed_no_action:
        text += " Read and filed with no action (s6), subject to any legislative requirements."
    if FLAG_LABELS["information_request"] in logged.flags:
        text += " A request for information is answered under the law that governs it (s9)."
    return text


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        who, strategy = await open_case(uow.session, context.get("person_id"))
        values, errors = check(_spec(ctx, who, strategy), submitted)
        when = values.get(F.OCCURRED_AT)
        if when is not None and when > ctx.now + CLOCK_SLACK:
            errors[F.OCCURRED_AT] = "This time is in the future."
        if errors:
            raise FieldErrors(errors)
        answers = {q.id: values[q.id] == "yes" for q in cat.CONTACT_QUESTIONS}
        filed_under = None
        if values[F.READ_NO_ACTION] == "yes":
            filed_under = await _written_warning(uow, who, answers)
        logged = await log(
            uow,
            who,
            strategy,
            channel=values[F.CHANNEL],
            summary=values[F.SUMMARY],
            occurred_at=when,
            answers=answers,
            filed_under=filed_under,
        )
    return confirmation(logged)


async def _written_warning(uow: Change, who: Person, answers: dict[str, bool]) -> Warning:
    """s6: "If they continue, their correspondence will be read, but no action will be
    taken": only after a written warning that reached them, and never for another matter."""
    given = await incidents_repo.warnings_given(uow.session, person_id=who.id)
    written = [w for w in given if w.kind == WarningKind.WRITTEN]
    if not written:
        raise FieldErrors(
            {
                F.READ_NO_ACTION: "No written warning to them is on file as sent, so their "
                "correspondence cannot be filed with no action (s6). Answer No."
            }
        )
    if answers.get("new_complaint"):
        raise FieldErrors(
            {
                F.READ_NO_ACTION: "A new complaint is another matter (s7.2): it is dealt with "
                "as normal, not filed with no action."
            }
        )
    return written[-1]


async def log(
    uow: Change,
    who: Person,
    strategy: ContactStrategy | None,
    *,
    channel: str,
    summary: str,
    occurred_at: datetime,
    answers: dict[str, bool],
    filed_under: Warning | None = None,
) -> Logged:
    """Keep one contact, audited, and tell whoever must know at once; `filed_under`, the
    written warning it is read and filed under with no action (s6)."""
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    entry = ContactLog(
        person_id=who.id,
        strategy_id=strategy.id if strategy is not None else None,
        channel=channel,
        summary=summary,
        logged_by_id=actor.id,
        occurred_at=occurred_at,
        created_at=uow.now,
        read_no_action_warning_id=filed_under.id if filed_under is not None else None,
        **answers,
    )
    uow.add(entry)
    flags = [FLAG_LABELS[k] for k, v in answers.items() if v]
    if filed_under is not None:
        flags.append(
            f"{READ_NO_ACTION} under the written warning of {filed_under.given_on:%d %b %Y}"
        )
    await uow.audit(
        AuditAction.CONTACT_LOGGED,
        entry,
        case=who.reference,
        strategy=strategy.id if strategy is not None else None,
        flags=sorted(k for k, v in answers.items() if v),
    )
    if answers.get("new_complaint"):
        # s7.2: a new matter is its own item on the case, open until dealt with.
        await matter_flow.opened(uow, who, entry)
    alerted = await _alert(uow, entry, who, strategy, flags, answers)
    who.last_activity_at = uow.now
    return Logged(who.reference, flags, alerted, filed_no_action=filed_under is not None)


async def _information_handlers(uow: Change) -> list[StaffMember]:
    """policy.information_requests_to, those still in the directory; else the admins."""
    found = []
    for email in uow.ctx.policy.information_requests_to:
        member = await staff_repo.get_by_email(uow.session, email=email.strip().lower())
        if member is not None and member.in_directory:
            found.append(member)
    return found or await staff_repo.with_role(uow.session, role="admin")


async def _alert(
    uow: Change,
    entry: ContactLog,
    who: Person,
    strategy: ContactStrategy | None,
    flags: list[str],
    answers: dict[str, bool],
) -> list[str]:
    """At once, each person once with why they are told: the recorder's manager (the
    authorisers with none on file) and the strategy's proposer for a new matter, a
    criminal matter or a safeguarding issue; the handlers for a request for information."""
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    why: dict[int, tuple[StaffMember, str]] = {}
    if any(answers.get(k) for k in URGENT):
        told = await recipients(uow.session, reporter=actor)
        as_manager = (
            "You are told because they have no manager on file."
            if told.fallback
            else "You are told as their manager."
        )
        for member in told.people:
            why.setdefault(member.id, (member, as_manager))
        if strategy is not None:
            proposer = await uow.session.get(StaffMember, strategy.proposer_id)
            if proposer is not None and proposer.in_directory and proposer.id != actor.id:
                why.setdefault(
                    proposer.id, (proposer, "You are told as the proposer of their strategy.")
                )
    if answers.get("information_request"):
        for member in await _information_handlers(uow):
            if member.id != actor.id:
                why.setdefault(
                    member.id, (member, "You are told as someone who handles these requests.")
                )
    if not why:
        return []
    raised = [RAISED[k] for k in RAISED if answers.get(k)]
    model = {
        "reference": who.reference,
        "logged_by": actor.name,
        "occurred_at": uow.ctx.local(entry.occurred_at),
        "channel": cat.label(cat.CHANNELS, entry.channel),
        "summary": entry.summary,
        "raised": raised,
        "flags": flags,
    }
    for member, told_because in why.values():
        await uow.tell(member, Template.CONTACT_FLAG_ALERT, {**model, "why_told": told_because})
    return [member.name for member, _ in why.values()]


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
                "flags": [label for key, label in FLAG_LABELS.items() if getattr(c, key)]
                + ([f"{READ_NO_ACTION} (s6)"] if c.read_no_action_warning_id else []),
                "urgent": c.criminal or c.safeguarding,
            }
            for c, name in rows
        ],
    }
