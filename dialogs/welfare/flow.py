"""Welfare check-ins (Appendix A). Answers are welfare data: the staff member's own.

Nothing here reaches the case file; the manager learns only that someone would like to
talk, and only when they ask.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from cards.wording import join_names
from dialogs import catalogue as cat
from dialogs.change import Change, change
from dialogs.context import Ctx
from dialogs.errors import BadRequest, NotFound
from dialogs.interactions import Card, Click, Reply, Turn
from dialogs.kinds import AuditAction, Template
from dialogs.welfare.view import checkin_key, checkin_model, support_model
from storage import staff as staff_repo
from storage import welfare as welfare_repo
from storage.models import StaffMember, WelfareCheckIn
from storage.models.status import CheckInKind


async def send_checkin(
    uow: Change,
    staff: StaffMember,
    *,
    kind: CheckInKind,
    incident_id: int | None = None,
    not_before: datetime | None = None,
) -> WelfareCheckIn:
    """Create a check-in and send it to the member of staff, in the caller's change."""
    checkin = WelfareCheckIn(
        staff_id=staff.id,
        incident_id=incident_id,
        kind=kind,
        created_at=uow.now,
    )
    uow.add(checkin)
    await uow.flush()
    await uow.tell(
        staff,
        Template.WELFARE_CHECKIN,
        checkin_model(checkin),
        card_key=checkin_key(checkin.id),
        # Nobody else caused it: if it cannot be delivered, only the admins are told.
        origin=None,
        not_before=not_before,
    )
    return checkin


async def start(turn: Turn, *_: object) -> Reply:
    """/checkin: a check-in the staff member asked for themselves, shown to them at once."""
    ctx, actor = turn.ctx, turn.actor
    async with change(ctx, actor) as uow:
        checkin = WelfareCheckIn(staff_id=actor.id, kind=CheckInKind.SELF, created_at=ctx.now)
        uow.add(checkin)
        await uow.audit(AuditAction.WELFARE_CHECKIN_STARTED, checkin)
        return Reply(Card(Template.WELFARE_CHECKIN, checkin_model(checkin)))


async def _own(uow: Change, actor: StaffMember, checkin_id: Any) -> WelfareCheckIn:
    checkin = await welfare_repo.own_checkin(uow.session, staff_id=actor.id, checkin_id=checkin_id)
    # Someone else's check-in is reported as missing: its existence is welfare data too.
    if checkin is None:
        raise NotFound("That check-in could not be found.")
    return checkin


def answering(choice: str) -> Callable[[Turn, Click], Awaitable[Reply]]:
    """The button for one answer to a check-in."""
    if choice not in {a.id for a in cat.WELFARE_ANSWERS}:
        raise ValueError(f"{choice!r} is not one of the answers")

    async def run(turn: Turn, click: Click) -> Reply:
        return await _answer(turn.ctx, turn.actor, click.value, choice)

    return run


async def _answer(ctx: Ctx, actor: StaffMember, checkin_id: int, choice: str) -> Reply:
    """The check-in as it now reads, with the support card when asked for."""
    async with change(ctx, actor) as uow:
        checkin = await _own(uow, actor, checkin_id)
        first_talk = choice == "talk" and checkin.answer != "talk"
        checkin.answer = choice
        checkin.answered_at = ctx.now
        # The audit trail records that an answer was given, never which (welfare data).
        await uow.audit(AuditAction.WELFARE_ANSWERED, checkin)
        support = Card(Template.SUPPORT, support_model(ctx, checkin))
        if choice == "ok":
            note = "Thanks for letting me know. If that changes, type /checkin at any time."
            more: tuple[Card, ...] = ()
        elif choice == "talk":
            note, more = await _ask_manager(uow, actor, first_talk, support)
        else:
            note, more = "", (support,)
        model = {**checkin_model(checkin, answer=choice), "note": note}
        return Reply(Card(Template.WELFARE_CHECKIN, model), more=more)


async def _ask_manager(
    uow: Change, actor: StaffMember, first_talk: bool, support: Card
) -> tuple[str, tuple[Card, ...]]:
    manager = await staff_repo.manager_of(uow.session, member=actor)
    if manager is None:
        admins = await staff_repo.with_role(uow.session, role="admin")
        who = join_names((a.name for a in admins[:2]), conjunction="or") or "your IT team"
        return (
            "You don't have a manager in the staff directory, so I couldn't ask anyone for "
            f"you. Please ask {who} to add your manager, and in the meantime here is the "
            "support available.",
            (support,),
        )
    if first_talk:
        await uow.tell(manager, Template.TALK_REQUEST, {"staff_name": actor.name})
    return (
        f"I'm asking {manager.name} to get in touch with you, telling them only that "
        "you'd like to talk. If my message can't reach them, I'll tell you here.",
        (),
    )


async def save_privacy_steps(turn: Turn, click: Click) -> str:
    """The staff member's own ticks on the Appendix A checklist; no one else sees them."""
    known = {s.id for s in cat.PRIVACY_STEPS}
    if not all(isinstance(s, str) and s in known for s in click.chosen):
        raise BadRequest("That step is not on the checklist.")
    async with change(turn.ctx, turn.actor) as uow:
        checkin = await _own(uow, turn.actor, click.value)
        checkin.privacy_steps_done = sorted(set(click.chosen))
    return "Saved. Only you can see this checklist."
