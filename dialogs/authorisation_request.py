"""Asking the authorisers to decide: one way for strategies, changes and sharing (s7, s7.1).

Whatever is being asked, the same things must happen: someone other than the requester
must exist to decide it, every such authoriser gets the card, and an undecided request
is chased after the configured hours.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import notify
from dialogs.context import Ctx
from dialogs.errors import DomainError
from dialogs.strategy_view import authorisation_card_model, card_key
from storage import jobs
from storage import staff as staff_repo
from storage.models import Authorisation, OutboxMessage, StaffMember


async def deciders(session: AsyncSession, *, requester: StaffMember) -> list[StaffMember]:
    """Every authoriser but the requester; refuse when there is nobody else (s7)."""
    others = [
        a for a in await staff_repo.with_role(session, role="authoriser") if a.id != requester.id
    ]
    if not others:
        raise DomainError(
            "There is no other authoriser in the staff directory to decide this, and nobody "
            "may authorise their own request (s7). Ask an administrator to add an "
            "authoriser, then send it again."
        )
    return others


async def ask(
    session: AsyncSession,
    ctx: Ctx,
    *,
    kind: str,
    requester: StaffMember,
    authorisers: list[StaffMember],
    strategy_id: int | None = None,
    sharing_request_id: int | None = None,
) -> Authorisation:
    """Store a pending request, send every authoriser its card and schedule the nudge."""
    auth = Authorisation(
        kind=kind,
        strategy_id=strategy_id,
        sharing_request_id=sharing_request_id,
        requested_by_id=requester.id,
        status="pending",
        created_at=ctx.now,
    )
    session.add(auth)
    await session.flush()
    await _send_cards(session, ctx, auth, to=authorisers, requester=requester)
    await jobs.schedule(
        session,
        key=f"authorisation-nudge:{auth.id}",
        kind="authorisation_nudge",
        due_at=ctx.now + timedelta(hours=ctx.policy.authorisation_nudge_hours),
        payload={"authorisation_id": auth.id},
    )
    return auth


async def hand_out_pending(session: AsyncSession, ctx: Ctx) -> int:
    """Send an undecided request's card to each authoriser who has none; how many went.

    The card is what an authoriser decides from (s7), and it goes to the authorisers of
    the day it was asked. One added to the directory since would otherwise get the
    nudges but nothing to act on. Run after every directory sync, in its transaction.
    """
    pending = (
        (await session.execute(select(Authorisation).where(Authorisation.status == "pending")))
        .scalars()
        .all()
    )
    if not pending:
        return 0
    authorisers = await staff_repo.with_role(session, role="authoriser")
    sent = 0
    for auth in pending:
        key = card_key(auth.id)
        holders = set(
            (
                await session.execute(
                    select(OutboxMessage.recipient_id).where(
                        OutboxMessage.card_key == key, OutboxMessage.kind == "message"
                    )
                )
            ).scalars()
        )
        missing = [a for a in authorisers if a.id != auth.requested_by_id and a.id not in holders]
        if not missing:
            continue
        requester = await session.get(StaffMember, auth.requested_by_id)
        await _send_cards(session, ctx, auth, to=missing, requester=requester)
        sent += len(missing)
    return sent


async def _send_cards(
    session: AsyncSession,
    ctx: Ctx,
    auth: Authorisation,
    *,
    to: list[StaffMember],
    requester: StaffMember | None,
) -> None:
    """The request's card to each of `to`, as one card (first decision updates every copy)."""
    model = await authorisation_card_model(session, ctx, auth)
    for authoriser in to:
        await notify.send(
            session,
            to=authoriser,
            template="authorisation_card",
            model=model,
            card_key=card_key(auth.id),
            origin=requester,
        )
