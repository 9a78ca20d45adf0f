"""Asking the authorisers to decide: one way for strategies, changes and sharing (s7, s7.1).

Whatever is being asked, the same things must happen: someone other than the requester
must exist to decide it, every such authoriser gets the card, and an undecided request
is chased after the configured hours.
"""

from __future__ import annotations

from datetime import timedelta

from dialogs.authorisation.rules import others
from dialogs.authorisation.view import card_key, card_model
from dialogs.change import Change
from dialogs.errors import DomainError
from dialogs.jobs.payloads import AuthorisationNudge
from dialogs.kinds import Template
from storage import authorisations as authorisations_repo
from storage import staff as staff_repo
from storage.db import AsyncSession
from storage.models import Authorisation, StaffMember
from storage.models.status import AuthorisationKind, AuthorisationStatus


async def deciders(
    session: AsyncSession, *, requester: StaffMember, separate: bool
) -> list[StaffMember]:
    """Every authoriser (s7), but the requester under the office's `separate` safeguard;
    refuse when that leaves nobody."""
    found = others(
        await staff_repo.with_role(session, role="authoriser"), requester.id, separate=separate
    )
    if not found and separate and requester.has_role("authoriser"):
        raise DomainError(
            "There is no other authoriser in the staff directory to decide this, and this "
            "office does not let anyone authorise their own request (its own safeguard, "
            "policy.separate_proposer_and_authoriser). Ask an administrator to add an "
            "authoriser, then send it again."
        )
    if not found:
        raise DomainError(
            "There is no authoriser in the staff directory to decide this (s7: the Head of "
            "Business Services and Assurance, or senior staff nominated by the Chief "
            "Executive). Ask an administrator to add one, then send it again."
        )
    return found


async def ask(
    uow: Change,
    *,
    kind: AuthorisationKind,
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
        status=AuthorisationStatus.PENDING,
        created_at=uow.now,
    )
    uow.add(auth)
    await uow.flush()
    await _send_cards(uow, auth, to=authorisers, requester=requester)
    await uow.schedule(
        AuthorisationNudge(authorisation_id=auth.id),
        due_at=uow.now + timedelta(hours=uow.ctx.policy.authorisation_nudge_hours),
    )
    return auth


async def hand_out_pending(uow: Change) -> int:
    """Send an undecided request's card to each authoriser who has none; how many went.

    The card is what an authoriser decides from (s7), and it goes to the authorisers of
    the day it was asked. One added to the directory since would otherwise get the
    nudges but nothing to act on. Run after every directory sync, in its transaction.
    """
    pending = await authorisations_repo.pending(uow.session)
    if not pending:
        return 0
    authorisers = await staff_repo.with_role(uow.session, role="authoriser")
    sent = 0
    for auth in pending:
        holders = await authorisations_repo.card_holders(uow.session, card_key=card_key(auth.id))
        separate = uow.ctx.policy.separate_proposer_and_authoriser
        missing = [
            a
            for a in others(authorisers, auth.requested_by_id, separate=separate)
            if a.id not in holders
        ]
        if not missing:
            continue
        requester = await uow.session.get(StaffMember, auth.requested_by_id)
        await _send_cards(uow, auth, to=missing, requester=requester)
        sent += len(missing)
    return sent


async def _send_cards(
    uow: Change, auth: Authorisation, *, to: list[StaffMember], requester: StaffMember | None
) -> None:
    """The request's card to each of `to`, as one card (first decision updates every copy)."""
    model = await card_model(uow.session, uow.ctx, auth)
    for authoriser in to:
        await uow.tell(
            authoriser,
            Template.AUTHORISATION_CARD,
            model,
            card_key=card_key(auth.id),
            origin=requester,
        )
