"""s6: "Appointing a Single Point of Contact (SPOC) in the office", as an informal step.

One of the policy's ways of addressing behaviour before anything is restricted: a manager
(or an authoriser) names the member of staff who deals with the person; it is recorded on
their case, /case shows it, and the person is told in writing. It restricts nothing, so it
needs no authorisation; a single point of contact as a restriction is a strategy's (s7).
"""

from __future__ import annotations

from typing import Any

from cards.forms import Choice, FormSpec
from cards.ids import FormName
from cards.ids import SpocField as F
from dialogs import fields as f
from dialogs import letters
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.interactions import Turn, Who
from dialogs.kinds import AuditAction, LetterKind
from dialogs.people.find import form_about, person
from dialogs.strategy.rules import may_propose
from dialogs.validation import validate
from storage import staff as staff_repo
from storage.models import Person, StaffMember

SPOC = f.Head(FormName.SPOC, "Single point of contact", "Appoint")
# Who may appoint one: the managers and authorisers, as may propose a strategy.
APPOINTERS = Who(
    may_propose, "Only a manager or an authoriser can appoint a single point of contact (s6)."
)


def _spec(ctx: Ctx, who: Person, staff: list[StaffMember]) -> FormSpec:
    choices = [Choice(value=f"s:{m.id}", label=m.name[:75]) for m in staff]
    return SPOC.form(
        ctx,
        [f.pick(F.STAFF, "Who will deal with them?", choices)],
        intro=(
            f"*{who.reference}*: appoint one member of staff to deal with them, as an "
            "informal step before any restriction (s6). They are told in writing; it "
            "restricts nothing."
        ),
        context={"person_id": who.id},
    )


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        staff = await staff_repo.list_staff(session)

    def spec(ctx: Ctx, who: Person) -> FormSpec:
        return _spec(ctx, who, staff)

    return await form_about(turn.ctx, context, spec)


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        who = await person(uow.session, context.get("person_id"))
        staff = await staff_repo.list_staff(uow.session)
        values = validate(_spec(ctx, who, staff), submitted)
        chosen = next((m for m in staff if f"s:{m.id}" == values[F.STAFF]), None)
        if chosen is None:
            raise FieldErrors({F.STAFF: "Choose someone from the staff directory."})
        who.spoc_staff_id = chosen.id
        who.spoc_since = uow.now
        who.spoc_appointed_by_id = actor.id
        await uow.audit(AuditAction.SPOC_APPOINTED, who, case=who.reference, spoc=chosen.id)
        model = {
            **letters.heading(ctx, who, actor),
            "spoc_name": chosen.name,
            "spoc_role": letters.signatory_role(ctx, chosen),
            "since": letters.letter_date(ctx),
        }
        await letters.keep(
            uow,
            kind=LetterKind.SPOC_APPOINTED,
            model=model,
            person=who,
            author=actor,
            deliver_to=actor,
            filename=f"{who.reference}-single-point-of-contact.html",
            comment="Here is the letter telling them who their single point of contact is (s6).",
        )
    return (
        f"{chosen.name} is now the single point of contact for *{who.reference}*. The letter "
        "telling them is on its way to you as a file, to send."
    )
