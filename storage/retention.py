"""What the retention purge reads and deletes (s9; UK GDPR Art. 5(1)(e)).

Which cases are due and what is blanked on them are rules of dialogs/records; here are
the queries: when each case last saw activity, the messages that carried a case or a
welfare check-in, and the deletes, in an order the foreign keys allow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, cast, delete, func, or_, select

from storage import models as m
from storage.db import AsyncSession

# A case reference inside a message's text, not the start of a longer one.
_REF_IN_TEXT = "(?<![0-9A-Za-z]){}(?![0-9])"


def _activity_queries() -> list[Select[Any]]:
    """One max() per column that records something happening on a case, by person."""
    direct = [
        (m.Person.id, m.Person.created_at),
        (m.Person.id, m.Person.last_activity_at),
        (m.Incident.person_id, m.Incident.occurred_at),
        (m.Incident.person_id, m.Incident.created_at),
        (m.Incident.person_id, m.Incident.acknowledged_at),
        (m.Warning.person_id, m.Warning.created_at),
        (m.PoliceReferral.person_id, m.PoliceReferral.created_at),
        (m.ContactLog.person_id, m.ContactLog.occurred_at),
        (m.ContactLog.person_id, m.ContactLog.created_at),
        (m.FurtherAction.person_id, m.FurtherAction.created_at),
        (m.Matter.person_id, m.Matter.created_at),
        (m.Matter.person_id, m.Matter.closed_at),
        (m.SharingRequest.person_id, m.SharingRequest.created_at),
        (m.Letter.person_id, m.Letter.created_at),
        (m.ContactStrategy.person_id, m.ContactStrategy.created_at),
        (m.ContactStrategy.person_id, m.ContactStrategy.activated_at),
        (m.ContactStrategy.person_id, m.ContactStrategy.ended_at),
    ]
    queries = [
        select(pid.label("pid"), func.max(col).label("latest")).group_by(pid) for pid, col in direct
    ]
    # Rows that reach their person through a strategy or a sharing request.
    strategy = (m.ContactStrategy, m.ContactStrategy.person_id)
    sharing = (m.SharingRequest, m.SharingRequest.person_id)
    auth = m.Authorisation
    indirect = [
        (strategy, m.Breach, m.Breach.strategy_id, m.Breach.occurred_at),
        (strategy, m.Breach, m.Breach.strategy_id, m.Breach.created_at),
        (strategy, m.Review, m.Review.strategy_id, m.Review.created_at),
        (strategy, m.Dispute, m.Dispute.strategy_id, m.Dispute.created_at),
        (strategy, m.Dispute, m.Dispute.strategy_id, m.Dispute.decided_at),
        (strategy, auth, auth.strategy_id, auth.created_at),
        (strategy, auth, auth.strategy_id, auth.decided_at),
        (sharing, auth, auth.sharing_request_id, auth.created_at),
        (sharing, auth, auth.sharing_request_id, auth.decided_at),
        (sharing, m.Disclosure, m.Disclosure.sharing_request_id, m.Disclosure.disclosed_at),
    ]
    for (parent, pid), table, link, col in indirect:
        queries.append(
            select(pid.label("pid"), func.max(col).label("latest"))
            .select_from(table)
            .join(parent, parent.id == link)
            .group_by(pid)
        )
    return queries


async def last_activity(session: AsyncSession) -> dict[int, datetime]:
    """Each person's latest recorded activity, across every table that touches their case.

    A subject access request is not activity: asking for one's data must not make the
    office keep it longer.
    """
    latest: dict[int, datetime] = {}
    for query in _activity_queries():
        for pid, when in (await session.execute(query)).all():
            if when is not None and (pid not in latest or when > latest[pid]):
                latest[pid] = when
    return latest


async def not_anonymised(session: AsyncSession) -> list[m.Person]:
    """Everyone whose case still holds personal data, by case reference."""
    stmt = select(m.Person).where(m.Person.anonymised_at.is_(None)).order_by(m.Person.reference)
    return list((await session.execute(stmt)).scalars())


async def people_with_strategy_in(session: AsyncSession, *, statuses: Sequence[str]) -> set[int]:
    """The people (ids) with a strategy in one of these states."""
    stmt = select(m.ContactStrategy.person_id).where(m.ContactStrategy.status.in_(statuses))
    return set((await session.execute(stmt)).scalars())


async def outbox_carrying(
    session: AsyncSession, *, reference: str, letter_ids: Sequence[int]
) -> list[int]:
    """Outbox messages that carried this case: they name its reference or hold its letters.

    A LIKE on the JSON text narrows the rows on both databases; the exact match (so that
    SC-2026-00004 does not catch SC-2026-00042) is made here.
    """
    conditions = [cast(m.OutboxMessage.model, Text).contains(reference, autoescape=True)]
    if letter_ids:
        conditions.append(m.OutboxMessage.letter_id.in_(letter_ids))
    stmt = select(m.OutboxMessage.id, m.OutboxMessage.model, m.OutboxMessage.letter_id).where(
        or_(*conditions)
    )
    exact = re.compile(_REF_IN_TEXT.format(re.escape(reference)))
    return [
        message_id
        for message_id, model, letter_id in (await session.execute(stmt)).all()
        if letter_id in letter_ids or exact.search(json.dumps(model, ensure_ascii=False))
    ]


async def welfare_checkins_before(session: AsyncSession, *, before: datetime) -> list[int]:
    """Welfare check-ins (ids) made before `before`."""
    stmt = select(m.WelfareCheckIn.id).where(m.WelfareCheckIn.created_at < before)
    return list((await session.execute(stmt)).scalars())


async def outbox_before(
    session: AsyncSession, *, templates: Sequence[str], before: datetime
) -> list[int]:
    """Outbox messages (ids) of these templates queued before `before`."""
    stmt = select(m.OutboxMessage.id).where(
        m.OutboxMessage.template.in_(templates), m.OutboxMessage.created_at < before
    )
    return list((await session.execute(stmt)).scalars())


async def delete_rows(
    session: AsyncSession,
    *,
    outbox_ids: Sequence[int],
    letter_ids: Sequence[int],
    welfare_checkin_ids: Sequence[int],
) -> None:
    """Delete these rows; messages first, since they point at the letters."""
    for model, ids in (
        (m.OutboxMessage, outbox_ids),
        (m.Letter, letter_ids),
        (m.WelfareCheckIn, welfare_checkin_ids),
    ):
        if ids:
            await session.execute(delete(model).where(model.id.in_(ids)))
