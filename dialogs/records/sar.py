"""Subject access requests: recorded, due in one calendar month, closed when answered (s9).

s9 promises that nothing done under the policy inhibits a person's information rights,
and the Data Protection Act 2018 gives them a copy of their data within one month
(UK GDPR Art. 12(3)); the due date is `sar_rules.due_date`.

An open request also holds back the retention purge for that person: their data must
not be deleted while a request for it is being answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dialogs.change import Change, actor_ref
from dialogs.errors import BadRequest, NotFound
from dialogs.kinds import AuditAction
from dialogs.policy_map import carries
from dialogs.records.sar_rules import (
    check_closable,
    check_none_open,
    check_outcome,
    check_received,
    due_date,
    late,
)
from storage import subject_access as sar_repo
from storage.db import AsyncSession
from storage.models import Person, SubjectAccessRequest
from storage.models.status import SarOutcome, SarStatus

# The audit trail's name for a request.


@dataclass(frozen=True)
class OpenRequest:
    request: SubjectAccessRequest
    reference: str


async def _audit(
    uow: Change, action: AuditAction, request: SubjectAccessRequest, **detail: Any
) -> None:
    """One audit event on a request, named by its number; the case by reference only."""
    await uow.audit(action, request, **detail)


async def open_request(uow: Change, *, person: Person, received_on: date) -> SubjectAccessRequest:
    """Record a request and its due date; one open request per person at a time.

    "In the future" is judged against the office's date (its time zone).
    """
    check_received(received_on, today=uow.ctx.today)
    existing = await sar_repo.open_for(uow.session, person_id=person.id)
    check_none_open(existing, reference=person.reference)
    request = SubjectAccessRequest(
        person_id=person.id,
        received_on=received_on,
        due_on=due_date(received_on),
        status=SarStatus.OPEN,
        opened_by=actor_ref(uow.actor),
        created_at=uow.now,
    )
    uow.add(request)
    dates = {"received_on": received_on, "due_on": request.due_on}
    await _audit(uow, AuditAction.SAR_OPENED, request, case=person.reference, **dates)
    return request


async def _named(
    session: AsyncSession, request_id: int | None, person: Person | None
) -> SubjectAccessRequest:
    """The request named by its number, or the person's open one."""
    if request_id is not None:
        request = await sar_repo.get(session, request_id=request_id, lock=True)
        if request is None:
            raise NotFound(f"There is no subject access request #{request_id}.")
        return request
    if person is not None:
        request = await sar_repo.open_for(session, person_id=person.id)
        if request is None:
            raise NotFound(f"{person.reference} has no open subject access request.")
        return request
    raise BadRequest("Name the request by its number or the person's case reference.")


async def close_request(
    uow: Change,
    *,
    request_id: int | None = None,
    person: Person | None = None,
    outcome: str = SarOutcome.ANSWERED,
    closed_on: date,
) -> tuple[SubjectAccessRequest, str]:
    """Close the open request named by id, or the person's open one; returns it and its case."""
    check_outcome(outcome, closed_on, today=uow.ctx.today)
    request = await _named(uow.session, request_id, person)
    owner = await uow.session.get(Person, request.person_id)
    assert owner is not None
    check_closable(request, closed_on, reference=owner.reference)
    request.status = SarStatus.CLOSED
    request.closed_on = closed_on
    request.closed_by = actor_ref(uow.actor)
    request.outcome = outcome
    answer = {"outcome": outcome, "closed_on": closed_on, "late": late(request)}
    await _audit(uow, AuditAction.SAR_CLOSED, request, case=owner.reference, **answer)
    return request, owner.reference


async def open_requests(session: AsyncSession) -> list[OpenRequest]:
    """Every open request, soonest due first, with its case reference."""
    return [OpenRequest(r, ref) for r, ref in await sar_repo.open_with_reference(session)]


POLICY = (
    carries(
        "9",
        "A subject access request is recorded with its one-month due date (ICO), listed in "
        "the oversight report until it is closed, and holds back the retention purge.",
        "tests/integration/test_records_sar.py::test_due_date_is_one_calendar_month_off_the_weekend",
        "tests/unit/test_records_calendar.py::test_sar_due_date",
        "tests/integration/test_records_sar.py::test_open_and_close_through_the_cli_with_audit_events",
        "tests/integration/test_records_retention.py::test_an_open_subject_access_request_holds_the_purge_back",
    ),
)
