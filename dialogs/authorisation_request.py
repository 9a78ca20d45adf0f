"""Asking the authorisers to decide: one way for strategies, changes and sharing (s7, s7.1).

Whatever is being asked, the same things must happen: someone other than the requester
must exist to decide it, every such authoriser gets the card, and an undecided request
is chased after the configured hours.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs import notify
from dialogs.context import Ctx
from dialogs.errors import DomainError
from dialogs.strategy_view import authorisation_card_model, card_key
from storage import jobs
from storage import staff as staff_repo
from storage.models import Authorisation, StaffMember


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
    model = await authorisation_card_model(session, ctx, auth)
    for authoriser in authorisers:
        await notify.send(
            session,
            to=authoriser,
            template="authorisation_card",
            model=model,
            card_key=card_key(auth.id),
            origin=requester,
        )
    await jobs.schedule(
        session,
        key=f"authorisation-nudge:{auth.id}",
        kind="authorisation_nudge",
        due_at=ctx.now + timedelta(hours=ctx.policy.authorisation_nudge_hours),
        payload={"authorisation_id": auth.id},
    )
    return auth
