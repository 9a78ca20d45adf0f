"""Subject access requests: recorded, due in one calendar month, closed when answered (s9).

s9 promises that nothing done under the policy inhibits a person's information rights,
and the Data Protection Act 2018 gives them a copy of their data within one month
(UK GDPR Art. 12(3)). The ICO counts the month from the day of receipt to the
corresponding date in the next month; where there is none (31 January) it is the last
day of that month; where it falls on a weekend, the next working day. Bank holidays are
not known here, so the due date may be a day early on a holiday weekend, never late.

An open request also holds back the retention purge for that person: their data must
not be deleted while a request for it is being answered.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.errors import AlreadyDone, BadRequest, NotFound
from dialogs.policy_map import carries
from storage import audit
from storage.models import Person, SubjectAccessRequest

OUTCOMES = ("answered", "withdrawn", "refused")


def due_date(received: date) -> date:
    """One calendar month from receipt, moved off a weekend to the Monday after."""
    year, month = (
        (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    )
    day = min(received.day, calendar.monthrange(year, month)[1])
    due = date(year, month, day)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


@dataclass(frozen=True)
class OpenRequest:
    request: SubjectAccessRequest
    reference: str


async def open_for(session: AsyncSession, *, person_id: int) -> SubjectAccessRequest | None:
    return (
        await session.execute(
            select(SubjectAccessRequest).where(
                SubjectAccessRequest.person_id == person_id,
                SubjectAccessRequest.status == "open",
            )
        )
    ).scalar_one_or_none()


async def open_request(
    session: AsyncSession,
    *,
    person: Person,
    received_on: date,
    today: date,
    actor: str,
    now: datetime,
) -> SubjectAccessRequest:
    """Record a request and its due date; one open request per person at a time.

    `today` is the office's date (its time zone), against which "in the future" is judged.
    """
    if received_on > today:
        raise BadRequest(f"{received_on} is in the future; give the date the request arrived.")
    existing = await open_for(session, person_id=person.id)
    if existing is not None:
        raise AlreadyDone(
            f"{person.reference} already has an open subject access request (#{existing.id}, "
            f"received {existing.received_on}, due {existing.due_on}); close it first."
        )
    request = SubjectAccessRequest(
        person_id=person.id,
        received_on=received_on,
        due_on=due_date(received_on),
        status="open",
        opened_by=actor,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="sar.opened",
        entity_type="subject_access_request",
        entity_id=request.id,
        detail={
            "case": person.reference,
            "received_on": received_on,
            "due_on": request.due_on,
        },
        at=now,
    )
    return request


async def close_request(
    session: AsyncSession,
    *,
    request_id: int | None = None,
    person: Person | None = None,
    outcome: str = "answered",
    closed_on: date,
    today: date,
    actor: str,
    now: datetime,
) -> tuple[SubjectAccessRequest, str]:
    """Close the open request named by id, or the person's open one; returns it and its case."""
    if outcome not in OUTCOMES:
        raise BadRequest(f"The outcome is one of {', '.join(OUTCOMES)}.")
    if closed_on > today:
        raise BadRequest(f"{closed_on} is in the future; give the date the answer was sent.")
    if request_id is not None:
        request = await session.get(SubjectAccessRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound(f"There is no subject access request #{request_id}.")
    elif person is not None:
        request = await open_for(session, person_id=person.id)
        if request is None:
            raise NotFound(f"{person.reference} has no open subject access request.")
    else:
        raise BadRequest("Name the request by its number or the person's case reference.")
    owner = await session.get(Person, request.person_id)
    assert owner is not None
    if request.status != "open":
        raise AlreadyDone(
            f"Subject access request #{request.id} for {owner.reference} was already closed "
            f"on {request.closed_on} ({request.outcome})."
        )
    if closed_on < request.received_on:
        raise BadRequest(f"{closed_on} is before the request arrived ({request.received_on}).")
    request.status = "closed"
    request.closed_on = closed_on
    request.closed_by = actor
    request.outcome = outcome
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="sar.closed",
        entity_type="subject_access_request",
        entity_id=request.id,
        detail={
            "case": owner.reference,
            "outcome": outcome,
            "closed_on": closed_on,
            "late": closed_on > request.due_on,
        },
        at=now,
    )
    return request, owner.reference


async def open_requests(session: AsyncSession) -> list[OpenRequest]:
    """Every open request, soonest due first, with its case reference."""
    rows = await session.execute(
        select(SubjectAccessRequest, Person.reference)
        .join(Person, Person.id == SubjectAccessRequest.person_id)
        .where(SubjectAccessRequest.status == "open")
        .order_by(SubjectAccessRequest.due_on, SubjectAccessRequest.id)
    )
    return [OpenRequest(request, reference) for request, reference in rows.all()]


POLICY = (
    carries(
        "9",
        "A subject access request is recorded with its one-month due date (ICO), listed in "
        "the oversight report until it is closed, and holds back the retention purge.",
        "tests/test_records_sar.py::test_due_date_is_one_calendar_month_off_the_weekend",
        "tests/test_records_sar.py::test_open_and_close_through_the_cli_with_audit_events",
        "tests/test_records_retention.py::test_an_open_subject_access_request_holds_the_purge_back",
    ),
)
