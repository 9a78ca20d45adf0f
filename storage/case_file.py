"""Everything held on one member of the public's case, read table by table (s7, s9).

The case file, the subject access export and the retention purge all need the same
answer to "which rows are on this case?": the rows that name the person, and the rows
that hang from their strategies and sharing requests. It is given here once, as
`Held`. Welfare check-ins are not on a case (Appendix A) and are never read here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select

from storage import models as m
from storage.db import AsyncSession

# The rows on one case by kind: the case file's section names, and "disclosures" (which
# the file lists under their sharing requests). Each kind is in the order the file reads.
Held = dict[str, list[Any]]


async def _rows(session: AsyncSession, model: Any, where: Any, *order: Any) -> list[Any]:
    stmt = select(model).where(where).order_by(*order, model.id)
    return list((await session.execute(stmt)).scalars())


async def held_on(session: AsyncSession, *, person_id: int) -> Held:
    """Every row on the person's case (their strategies' restrictions come with them)."""
    own: dict[str, list[Any]] = {}
    for key, model, order in (
        ("incidents", m.Incident, m.Incident.occurred_at),
        ("warnings", m.Warning, m.Warning.given_on),
        ("police_referrals", m.PoliceReferral, m.PoliceReferral.referred_on),
        ("contact_strategies", m.ContactStrategy, m.ContactStrategy.created_at),
        ("contact_logs", m.ContactLog, m.ContactLog.occurred_at),
        ("matters", m.Matter, m.Matter.raised_at),
        ("further_actions", m.FurtherAction, m.FurtherAction.taken_on),
        ("sharing_requests", m.SharingRequest, m.SharingRequest.created_at),
        ("letters", m.Letter, m.Letter.created_at),
    ):
        own[key] = await _rows(session, model, model.person_id == person_id, order)
    strategies = [s.id for s in own["contact_strategies"]]
    sharing = [s.id for s in own["sharing_requests"]]
    under: dict[str, list[Any]] = {}
    for key, model, order in (
        ("breaches", m.Breach, m.Breach.occurred_at),
        ("reviews", m.Review, m.Review.created_at),
        ("disputes", m.Dispute, m.Dispute.received_on),
    ):
        under[key] = await _rows(session, model, model.strategy_id.in_(strategies), order)
    auth = m.Authorisation
    decided = or_(auth.strategy_id.in_(strategies), auth.sharing_request_id.in_(sharing))
    disclosed = m.Disclosure.sharing_request_id.in_(sharing)
    return {
        **own,
        **under,
        "authorisations": await _rows(session, auth, decided, auth.created_at),
        "disclosures": await _rows(session, m.Disclosure, disclosed, m.Disclosure.disclosed_at),
    }


async def staff_names(session: AsyncSession, *, ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these members of staff, by id (leavers included)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    stmt = select(m.StaffMember.id, m.StaffMember.name).where(m.StaffMember.id.in_(wanted))
    return {staff_id: name for staff_id, name in (await session.execute(stmt)).all()}


async def letter_texts(session: AsyncSession, *, person_id: int) -> dict[int, str]:
    """The plain text of every letter to the person, by letter id."""
    stmt = select(m.Letter.id, m.Letter.text).where(m.Letter.person_id == person_id)
    return {letter_id: text for letter_id, text in (await session.execute(stmt)).all()}
