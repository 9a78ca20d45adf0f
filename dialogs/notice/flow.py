"""Record letter sent: how and when a letter left the office, and who sent it (s6, s7, s7.3).

One form for every letter (a warning, a strategy or an alteration, a breach reminder, a
review's outcome, a dispute's outcome); what follows from sending follows in
dialogs.letters.record_sent.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from cards.forms import Choice, FormSpec
from cards.ids import FormName, LetterSentField
from dialogs import fields as f
from dialogs import letters
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, NotFound
from dialogs.interactions import Turn
from dialogs.notice.rules import METHOD_LABELS, check_may_send, check_sent_on, sent_line
from dialogs.validation import validate
from storage import kept_letters
from storage.db import AsyncSession
from storage.models import ContactStrategy, Letter, Person, StaffMember
from storage.models.status import LetterSendMethod, StrategyStatus

HEAD = f.Head(FormName.LETTER_SENT, "Record letter sent", "Record")


def _spec(ctx: Ctx, letter: Letter, reference: str) -> FormSpec:
    methods = [Choice(value=m.value, label=label) for m, label in METHOD_LABELS.items()]
    return HEAD.form(
        ctx,
        [
            f.pick(LetterSentField.METHOD, "How was it sent?", methods, kind="radio"),
            f.day(LetterSentField.SENT_ON, "Date sent"),
        ],
        intro=(
            f"*{reference}*: {letter.subject}. Record it once it has left the office: a "
            "restriction takes effect only when the person has been told in writing (s6, s7)."
        ),
        context={"letter_id": letter.id},
        values={
            LetterSentField.METHOD: LetterSendMethod.POST.value,
            LetterSentField.SENT_ON: ctx.today.isoformat(),
        },
    )


async def _load(session: AsyncSession, letter_id: Any, *, lock: bool = False) -> Letter:
    letter = await kept_letters.letter(session, letter_id=letter_id, lock=lock)
    if letter is None:
        raise NotFound("That letter could not be found.")
    return letter


async def _already(session: AsyncSession, letter: Letter) -> AlreadyDone:
    by = await session.get(StaffMember, letter.sent_by_id) if letter.sent_by_id else None
    line = sent_line(letter.sent_method, letter.sent_on, by.name if by else "someone")
    return AlreadyDone(f"This letter is already recorded: {line}.")


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        letter = await _load(session, context.get("letter_id"))
        check_may_send(turn.actor, letter)
        if letter.sent_on is not None:
            raise await _already(session, letter)
        person = await session.get(Person, letter.person_id)
        return _spec(turn.ctx, letter, person.reference if person else "")


async def submit(turn: Turn, values: dict[str, Any], context: dict[str, Any]) -> str:
    ctx = turn.ctx
    async with change(ctx, turn.actor) as uow:
        letter = await _load(uow.session, context.get("letter_id"), lock=True)
        check_may_send(turn.actor, letter)
        person = await uow.session.get(Person, letter.person_id)
        reference = person.reference if person else ""
        clean = validate(_spec(ctx, letter, reference), values)
        sent_on = clean[LetterSentField.SENT_ON]
        written = letter.created_at
        if written.tzinfo is None:
            written = written.replace(tzinfo=UTC)
        check_sent_on(
            sent_on,
            today=ctx.today,
            created=written.astimezone(ctx.zone).date(),
            field=LetterSentField.SENT_ON,
        )
        if letter.sent_on is not None:
            raise await _already(uow.session, letter)
        actor = await uow.session.get(StaffMember, turn.actor.id)
        assert actor is not None
        method = LetterSendMethod(clean[LetterSentField.METHOD])
        await letters.record_sent(uow, letter, method=method, on=sent_on, by=actor)
        note = f"Recorded: the letter for {reference} was sent on {sent_on:%d %B %Y}."
        if letter.strategy_id is not None and letter.kind == "strategy":
            strategy = await uow.session.get(ContactStrategy, letter.strategy_id)
            if strategy is not None and strategy.status == StrategyStatus.ACTIVE:
                note += (
                    " The contact strategy is now in force, and the staff who deal with "
                    f"them have been told. Its review is due on {strategy.review_date:%d %B %Y}."
                )
            elif strategy is not None and strategy.takes_effect_on:
                note += (
                    " The contact strategy takes effect on "
                    f"{strategy.takes_effect_on:%d %B %Y}, as its authoriser set."
                )
    return note
