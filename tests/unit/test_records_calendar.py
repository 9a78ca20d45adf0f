"""Pure rules of the records calendar: months, periods counted back, SAR due dates (s9).

No database, no I/O: each test runs in microseconds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from dialogs.errors import AlreadyDone, BadRequest
from dialogs.records import sar_rules as rules
from dialogs.records.months import Month, clamped, months_before, years_before
from storage.models import SubjectAccessRequest

LONDON = ZoneInfo("Europe/London")


def test_a_month_is_written_yyyy_mm() -> None:
    assert Month.parse(" 2026-11 ") == Month(2026, 11)
    assert str(Month(2026, 3)) == "2026-03"
    for bad in ("2026-13", "2026-00", "26-11", "2026/11", "November"):
        with pytest.raises(ValueError, match="is not a month"):
            Month.parse(bad)


def test_months_shift_across_years_and_start_at_local_midnight() -> None:
    assert Month(2026, 12).shift(1) == Month(2027, 1)
    assert Month(2026, 1).shift(-1) == Month(2025, 12)
    assert Month(2026, 11).shift(-11) == Month(2025, 12)
    # The office's midnight: 1 July in London is 23:00 UTC on 30 June.
    july = Month(2026, 7)
    assert july.start(LONDON).astimezone(UTC) == datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
    assert july.end(LONDON) == Month(2026, 8).start(LONDON)
    assert (july.title, july.short) == ("July 2026", "Jul 2026")


def test_the_month_of_a_moment_is_the_office_month() -> None:
    late_june_utc = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    assert Month.of(late_june_utc, LONDON) == Month(2026, 7)
    assert Month.of(late_june_utc, UTC) == Month(2026, 6)


def test_a_day_the_month_lacks_is_its_last_day() -> None:
    assert clamped(2026, 2, 31) == date(2026, 2, 28)
    assert clamped(2028, 2, 30) == date(2028, 2, 29)
    assert clamped(2026, 4, 31) == date(2026, 4, 30)
    assert clamped(2026, 5, 31) == date(2026, 5, 31)


def test_periods_count_back_in_calendar_years_and_months_at_the_same_wall_clock() -> None:
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=LONDON)
    assert years_before(leap, 6, LONDON) == datetime(2022, 2, 28, 12, 0, tzinfo=LONDON)
    assert months_before(datetime(2026, 3, 31, tzinfo=LONDON), 1, LONDON) == datetime(
        2026, 2, 28, tzinfo=LONDON
    )
    assert months_before(datetime(2026, 1, 15, 9, 30, tzinfo=LONDON), 13, LONDON) == datetime(
        2024, 12, 15, 9, 30, tzinfo=LONDON
    )
    # A UTC moment is counted back in the office's zone: 23:30 UTC on 31 May is 1 June.
    may_end = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert months_before(may_end, 1, LONDON).date() == date(2026, 5, 1)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-12-31", "2027-02-01"),  # 31 January 2027 is a Sunday
        ("2028-01-31", "2028-02-29"),  # a leap year's last day of February
        ("2026-06-15", "2026-07-15"),  # a plain weekday
    ],
)
def test_sar_due_date(received: str, due: str) -> None:
    assert rules.due_date(date.fromisoformat(received)) == date.fromisoformat(due)


def _request(**kw: object) -> SubjectAccessRequest:
    fields: dict[str, object] = {
        "id": 7,
        "received_on": date(2026, 9, 1),
        "due_on": date(2026, 10, 1),
        "status": "open",
        "closed_on": None,
        "outcome": None,
    }
    return SubjectAccessRequest(**(fields | kw))


def test_a_request_arrives_on_a_day_that_has_come_and_one_at_a_time() -> None:
    today = date(2026, 9, 10)
    rules.check_received(today, today=today)
    with pytest.raises(BadRequest, match="in the future"):
        rules.check_received(date(2026, 9, 11), today=today)
    rules.check_none_open(None, reference="SC-2026-00001")
    with pytest.raises(AlreadyDone, match=r"already has an open .*#7.*due 2026-10-01"):
        rules.check_none_open(_request(), reference="SC-2026-00001")


def test_a_request_closes_once_with_a_known_outcome_not_before_it_arrived() -> None:
    today = date(2026, 9, 10)
    assert rules.OUTCOMES == ("answered", "withdrawn", "refused")
    rules.check_outcome("refused", today, today=today)
    with pytest.raises(BadRequest, match="answered, withdrawn, refused"):
        rules.check_outcome("ignored", today, today=today)
    with pytest.raises(BadRequest, match="in the future"):
        rules.check_outcome("answered", date(2026, 9, 11), today=today)
    rules.check_closable(_request(), date(2026, 9, 1), reference="SC-2026-00001")
    with pytest.raises(BadRequest, match="before the request arrived"):
        rules.check_closable(_request(), date(2026, 8, 31), reference="SC-2026-00001")
    closed = _request(status="closed", closed_on=date(2026, 9, 5), outcome="answered")
    with pytest.raises(AlreadyDone, match=r"already closed on 2026-09-05 \(answered\)"):
        rules.check_closable(closed, today, reference="SC-2026-00001")


def test_a_request_is_late_only_when_answered_after_its_due_date() -> None:
    assert not rules.late(_request())
    assert not rules.late(_request(closed_on=date(2026, 10, 1)))
    assert rules.late(_request(closed_on=date(2026, 10, 2)))
