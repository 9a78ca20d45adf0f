"""A person's needs, recorded whenever they tell us (s5), and asked at the outset.

s5: "Members of the public should be asked at the outset if they require additional
assistance to communicate", and "if we are informed of specific health concerns or
disabilities, then this should be taken at face value". So the form records what they
told us, in their words, the adjustments made for them and the contact methods their
needs rule out; nothing on it assesses them. Each time is kept, in order
(`Person.needs_history`), with who recorded it; the current answer is on the person,
where every decision reads it: the strategy form starts from the methods they cannot
use and may only add to them (dialogs/strategy/propose.py), and the authoriser's card
shows the needs. The manager's card for a report about someone never asked says so,
with this form one press away.
"""

from __future__ import annotations

from typing import Any

from cards.forms import Choice, FormSpec
from cards.ids import FormName
from cards.ids import NeedsField as F
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.incident.follow_up import refresh_person_cards
from dialogs.incident.rules import not_in_future
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction
from dialogs.people.find import form_about, person
from dialogs.validation import validate
from storage.models import Person, StaffMember

MAX_NEEDS = 2000
NEEDS = f.Head(FormName.NEEDS, "Their needs", "Save")
TOLD = (
    Choice(value="needs", label="They told us what they need (below)"),
    Choice(value="none", label="They told us they need nothing extra"),
)


def _spec(ctx: Ctx, who: Person) -> FormSpec:
    return NEEDS.form(
        ctx,
        [
            f.pick(F.TOLD, "What did they tell us?", list(TOLD), kind="radio"),
            f.textarea(
                F.NEEDS,
                "What they need, in their words",
                max_length=MAX_NEEDS,
                required=False,
                hint="Taken at face value (s5): write what they said, never an assessment.",
            ),
            f.textarea(
                F.ADJUSTMENTS,
                "Adjustments we make for them",
                max_length=MAX_NEEDS,
                required=False,
                hint="For example: letters in large print, an advocate present, shorter calls.",
            ),
            f.pick(
                F.UNUSABLE,
                "Contact methods they cannot use",
                cat.CONTACT_METHODS,
                kind="checkboxes",
                required=False,
                hint="A contact strategy must leave them a method they can use.",
            ),
            f.day(F.TOLD_ON, "When did they tell us?"),
        ],
        intro=(
            f"*{who.reference}*: record what they have told us about their needs (s5). "
            "It replaces what is on file; every earlier answer is kept with the case."
        ),
        context={"person_id": who.id},
        values={
            F.TOLD: "needs" if who.additional_needs or who.unusable_methods else None,
            F.NEEDS: who.additional_needs,
            F.ADJUSTMENTS: who.reasonable_adjustments,
            F.UNUSABLE: list(who.unusable_methods or []),
            F.TOLD_ON: ctx.today.isoformat(),
        },
    )


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await form_about(turn.ctx, context, _spec)


def _errors(values: dict[str, Any], ctx: Ctx) -> dict[str, str]:
    errors = not_in_future(values.get(F.TOLD_ON), ctx.today, F.TOLD_ON)
    given = values.get(F.NEEDS) or values.get(F.ADJUSTMENTS) or values.get(F.UNUSABLE)
    if values.get(F.TOLD) == "needs" and not given:
        errors[F.NEEDS] = "Write what they told us they need, or choose that they need nothing."
    if values.get(F.TOLD) == "none" and given:
        errors[F.TOLD] = "You wrote needs below: choose that they told us what they need."
    return errors


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        who = await person(uow.session, context.get("person_id"))
        values = validate(_spec(ctx, who), submitted)
        if errors := _errors(values, ctx):
            raise FieldErrors(errors)
        none = values[F.TOLD] == "none"
        record(who, actor, values, none=none, at=uow.now)
        await uow.audit(AuditAction.PERSON_NEEDS, who, case=who.reference, none_given=none)
        # The manager's cards stop asking once they have been asked.
        await refresh_person_cards(uow, who.id)
    if none:
        return f"Recorded for *{who.reference}*: they told us they need nothing extra."
    return f"Needs recorded for *{who.reference}*. Every decision about them will show them."


def record(who: Person, actor: StaffMember, values: dict[str, Any], *, none: bool, at: Any) -> None:
    """The person's current needs, and one more entry in their history."""
    who.additional_needs = "" if none else (values[F.NEEDS] or "")
    who.reasonable_adjustments = "" if none else (values[F.ADJUSTMENTS] or "")
    who.unusable_methods = [] if none else list(values[F.UNUSABLE] or [])
    entry = {
        "told_on": values[F.TOLD_ON].isoformat(),
        "none_given": none,
        "needs": who.additional_needs,
        "adjustments": who.reasonable_adjustments,
        "unusable_methods": who.unusable_methods,
        "recorded_by": actor.id,
        "recorded_at": at.isoformat(),
    }
    # A new list, so the change is seen and audited (a JSON column is not mutable-tracked).
    who.needs_history = [*(who.needs_history or []), entry]
