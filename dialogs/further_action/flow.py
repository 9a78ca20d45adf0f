"""Recording further action on a case (s7.2).

Where a strategy has not stopped the behaviour, "a senior manager may need to seek legal
advice to see what avenues are available under the law". The policy reserves that for
the most severe cases, so whoever later reads the case (a reviewer, the Chief Executive
deciding a dispute, the ombudsman) must find that it was done, when and by whom. Only an
authoriser records it: they are the senior managers the policy means. The details are
kept on the case file, not shown on `/case`, which every member of staff can open:
legal advice may be privileged.
"""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import FormName
from cards.ids import FurtherActionField as F
from dialogs import catalogue as cat
from dialogs import fields as f
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import FieldErrors
from dialogs.incident.rules import not_in_future
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction
from dialogs.people.find import form_about, person
from dialogs.validation import validate
from storage import monitoring as monitoring_repo
from storage.db import AsyncSession
from storage.models import FurtherAction, Person, StaffMember
from storage.models.status import FurtherActionKind

MAX_DETAILS = 2000

FURTHER_ACTION = f.Head(FormName.FURTHER_ACTION, "Record further action", "Record")


def _spec(ctx: Ctx, who: Person) -> FormSpec:
    return FURTHER_ACTION.form(
        ctx,
        [
            f.pick(F.KIND, "What was done?", cat.FURTHER_ACTIONS, kind="radio"),
            f.day(F.TAKEN_ON, "On what date?"),
            f.textarea(
                F.DETAILS,
                "Details",
                max_length=MAX_DETAILS,
                hint=(
                    "Who was asked and what about, or what the advice said and what "
                    "follows. Kept on the case file, not shown on /case."
                ),
            ),
        ],
        intro=(
            f"*{who.reference}*: when a contact strategy has not worked, a senior manager "
            "may seek legal advice or take other further action (s7.2). Record it here so "
            "the case shows it."
        ),
        context={"person_id": who.id},
        values={F.TAKEN_ON: ctx.today.isoformat()},
    )


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    return await form_about(turn.ctx, context, _spec)


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        who = await person(uow.session, context.get("person_id"))
        values = validate(_spec(ctx, who), submitted)
        if errors := not_in_future(values[F.TAKEN_ON], ctx.today, F.TAKEN_ON):
            raise FieldErrors(errors)
        assert isinstance(actor, StaffMember)
        action = FurtherAction(
            person_id=who.id,
            kind=FurtherActionKind(values[F.KIND]),
            taken_on=values[F.TAKEN_ON],
            details=values[F.DETAILS],
            recorded_by_id=actor.id,
            created_at=ctx.now,
        )
        uow.add(action)
        who.last_activity_at = ctx.now
        await uow.audit(
            AuditAction.FURTHER_ACTION_RECORDED, action, case=who.reference, kind=action.kind
        )
    label = cat.label(cat.FURTHER_ACTIONS, action.kind)
    return f"{label} recorded on {who.reference}, dated {action.taken_on:%-d %B %Y}."


async def listed(session: AsyncSession, person_id: int) -> list[str]:
    """The case's further actions for /case, a line each: what, when and by whom (never
    the details), newest first."""
    return [
        f"{cat.label(cat.FURTHER_ACTIONS, action.kind)}, {action.taken_on:%-d %b %Y} ({name})"
        for action, name in await monitoring_repo.further_actions(session, person_id=person_id)
    ]
