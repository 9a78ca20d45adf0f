"""The rules of a subject access request (s9): its due date, and what may be recorded.

Pure functions, no I/O. The ICO counts the month from the day of receipt to the
corresponding date in the next month; where there is none (31 January) it is the last
day of that month; where it falls on a weekend, the next working day. Bank holidays are
not known here, so the due date may be a day early on a holiday weekend, never late.
"""

from __future__ import annotations

from datetime import date, timedelta

from dialogs.errors import AlreadyDone, BadRequest
from dialogs.records.months import Month, clamped
from storage.models import SubjectAccessRequest
from storage.models.status import SarOutcome, SarStatus

OUTCOMES = tuple(outcome.value for outcome in SarOutcome)


def due_date(received: date) -> date:
    """One calendar month from receipt, moved off a weekend to the Monday after."""
    month = Month(received.year, received.month).shift(1)
    due = clamped(month.year, month.month, received.day)
    while due.weekday() >= 5:
        due += timedelta(days=1)
    return due


def check_received(received_on: date, *, today: date) -> None:
    """A request is recorded on the day it arrived, which is not in the future."""
    if received_on > today:
        raise BadRequest(f"{received_on} is in the future; give the date the request arrived.")


def check_none_open(existing: SubjectAccessRequest | None, *, reference: str) -> None:
    """One open request per person at a time."""
    if existing is not None:
        raise AlreadyDone(
            f"{reference} already has an open subject access request (#{existing.id}, "
            f"received {existing.received_on}, due {existing.due_on}); close it first."
        )


def check_outcome(outcome: str, closed_on: date, *, today: date) -> None:
    """A known outcome, on a day that has come."""
    if outcome not in OUTCOMES:
        raise BadRequest(f"The outcome is one of {', '.join(OUTCOMES)}.")
    if closed_on > today:
        raise BadRequest(f"{closed_on} is in the future; give the date the answer was sent.")


def check_closable(request: SubjectAccessRequest, closed_on: date, *, reference: str) -> None:
    """Only an open request closes, and not before it arrived."""
    if request.status != SarStatus.OPEN:
        raise AlreadyDone(
            f"Subject access request #{request.id} for {reference} was already closed "
            f"on {request.closed_on} ({request.outcome})."
        )
    if closed_on < request.received_on:
        raise BadRequest(f"{closed_on} is before the request arrived ({request.received_on}).")


def late(request: SubjectAccessRequest) -> bool:
    """Whether it was answered after its due date."""
    return request.closed_on is not None and request.closed_on > request.due_on
