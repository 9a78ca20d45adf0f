"""Their address, from the card an unsent letter comes with (s7).

A letter may be ready before anyone knew where to send it, or the mail server may refuse
the email address on record: the person must still be told in writing before a
restriction runs. Whoever may record the letter as sent (dialogs/notice/rules.py) may
correct where it goes; the change is kept on the person's record, audited
(dialogs/people/contact_details.py), and the letter's card is redrawn, with "Send by
email" once an email address is known.

The letter already written keeps the addressee block it was written with: it is kept
exactly as rendered (dialogs/letters.py). The address corrected here is where it goes.
"""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import FormName
from dialogs import fields as f
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, FieldErrors, NotFound
from dialogs.interactions import Turn
from dialogs.notice.effect import card_key, letter_card
from dialogs.notice.rules import check_may_send
from dialogs.people import contact_details
from dialogs.strategy.rules import letter_address_errors
from dialogs.validation import validate
from storage import kept_letters
from storage.db import AsyncSession
from storage.models import Letter, Person, StaffMember

HEAD = f.Head(FormName.LETTER_ADDRESS, "Their address", "Save")


def _spec(ctx: Ctx, letter: Letter, person: Person) -> FormSpec:
    return HEAD.form(
        ctx,
        contact_details.fields(),
        intro=(
            f"*{person.reference}*: where the letter \u201c{letter.subject}\u201d goes. "
            "Change it here if it is missing or wrong (for example, the mail server "
            "refused their email address)."
        ),
        context={"letter_id": letter.id},
        values=contact_details.values(person),
    )


async def _unsent(session: AsyncSession, actor: StaffMember, letter_id: Any) -> Letter:
    """The letter, unsent, that `actor` may send (the rule Record letter sent applies)."""
    letter = await kept_letters.letter(session, letter_id=letter_id)
    if letter is None:
        raise NotFound("That letter could not be found.")
    check_may_send(actor, letter)
    if letter.sent_on is not None:
        raise AlreadyDone(
            "This letter has already been sent, so its address can no longer be changed here."
        )
    return letter


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        letter = await _unsent(session, turn.actor, context.get("letter_id"))
        person = await session.get(Person, letter.person_id)
        if person is None:
            raise NotFound("That letter could not be found.")
        return _spec(turn.ctx, letter, person)


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx = turn.ctx
    async with change(ctx, turn.actor) as uow:
        letter = await _unsent(uow.session, turn.actor, context.get("letter_id"))
        person = await uow.session.get(Person, letter.person_id)
        if person is None:
            raise NotFound("That letter could not be found.")
        values = validate(_spec(ctx, letter, person), submitted)
        if errors := letter_address_errors(values):
            raise FieldErrors(errors)
        changed = await contact_details.keep(uow, person, values)
        if changed:
            # The letter's card again, with "Send by email" once there is an address.
            await uow.refresh_card(card_key(letter.id), await letter_card(uow, letter))
    if not changed:
        return f"Nothing changed: the address on {person.reference} is as it was."
    told = " The letter's card now offers Send by email." if person.email else ""
    return f"Saved: where letters to {person.reference} go.{told}"
