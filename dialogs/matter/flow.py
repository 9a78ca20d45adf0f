"""New matters (s7.2): "any new issues ... will be dealt with in the normal way".

A contact that raises a new matter (a new complaint) opens one here, its own item on the
case: never a breach, and not lost in the contact log. It stays open, on /case, until
someone records how it was dealt with. Opening is the contact log's (`opened`); closing
is a form from /case, audited.
"""

from __future__ import annotations

from typing import Any

from cards.forms import FormSpec
from cards.ids import FormName
from cards.ids import MatterField as F
from dialogs import fields as f
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import AlreadyDone, NotFound
from dialogs.interactions import Turn
from dialogs.kinds import AuditAction
from dialogs.validation import validate
from storage import monitoring as monitoring_repo
from storage.db import AsyncSession
from storage.models import ContactLog, Matter, Person, StaffMember

MAX_OUTCOME = 1500
CLOSE = f.Head(FormName.MATTER_CLOSE, "Close a matter", "Close matter")


async def opened(uow: Change, who: Person, entry: ContactLog) -> Matter:
    """The new matter a logged contact raised, open, audited."""
    actor = uow.actor
    assert isinstance(actor, StaffMember)
    await uow.flush()
    matter = Matter(
        person_id=who.id,
        contact_log_id=entry.id,
        summary=entry.summary,
        raised_at=entry.occurred_at,
        recorded_by_id=actor.id,
        created_at=uow.now,
    )
    uow.add(matter)
    await uow.audit(AuditAction.MATTER_OPENED, matter, case=who.reference, contact=entry.id)
    return matter


def _spec(ctx: Ctx, matter: Matter, who: Person) -> FormSpec:
    return CLOSE.form(
        ctx,
        [
            f.textarea(
                F.OUTCOME,
                "How was it dealt with?",
                max_length=MAX_OUTCOME,
                hint="Kept on the case file. A new matter is dealt with in the normal way (s7.2).",
            )
        ],
        intro=(
            f"*{who.reference}*: the new matter they raised on "
            f"{ctx.local(matter.raised_at)}: \u201c{matter.summary[:300]}\u201d"
        ),
        context={"matter_id": matter.id},
    )


async def _open_matter(session: AsyncSession, matter_id: Any) -> tuple[Matter, Person]:
    matter = await monitoring_repo.matter(session, matter_id=matter_id)
    if matter is None:
        raise NotFound("That matter could not be found.")
    who = await session.get(Person, matter.person_id)
    if who is None or who.anonymised_at is not None:
        raise NotFound("That matter could not be found.")
    if matter.closed_at is not None:
        raise AlreadyDone("That matter is already closed.")
    return matter, who


async def form(turn: Turn, context: dict[str, Any]) -> FormSpec:
    async with turn.ctx.db.read() as session:
        matter, who = await _open_matter(session, context.get("matter_id"))
        return _spec(turn.ctx, matter, who)


async def submit(turn: Turn, submitted: dict[str, Any], context: dict[str, Any]) -> str:
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        matter, who = await _open_matter(uow.session, context.get("matter_id"))
        values = validate(_spec(ctx, matter, who), submitted)
        matter.outcome = values[F.OUTCOME]
        matter.closed_at = uow.now
        matter.closed_by_id = actor.id
        await uow.audit(AuditAction.MATTER_CLOSED, matter, case=who.reference)
    return f"Matter closed for *{who.reference}*, with how it was dealt with."


async def open_ones(session: AsyncSession, ctx: Ctx, person_id: int) -> list[dict[str, Any]]:
    """The person's open matters, oldest first, for /case."""
    return [
        {"id": m.id, "raised": ctx.local(m.raised_at), "summary": m.summary}
        for m in await monitoring_repo.open_matters(session, person_id=person_id)
    ]
