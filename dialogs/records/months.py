"""Calendar arithmetic for the records rules: months, and periods counted back (s9, s7.1).

Pure functions, no I/O. The oversight report covers a calendar month in the office's
time zone; the retention clocks count calendar years and months back from now. A
period that lands on a day its month lacks (29 February, 31 April) lands on that
month's last day instead.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.fullmatch(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2026-11")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, when: datetime, zone: tzinfo) -> Month:
        local = when.astimezone(zone)
        return cls(local.year, local.month)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def start(self, zone: tzinfo) -> datetime:
        return datetime.combine(date(self.year, self.month, 1), time(0, 0), tzinfo=zone)

    def end(self, zone: tzinfo) -> datetime:
        return self.shift(1).start(zone)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def title(self) -> str:
        return date(self.year, self.month, 1).strftime("%B %Y")

    @property
    def short(self) -> str:
        return date(self.year, self.month, 1).strftime("%b %Y")


def clamped(year: int, month: int, day: int) -> date:
    """That day of that month, or the month's last day if it has fewer days."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def years_before(when: datetime, years: int, zone: tzinfo) -> datetime:
    """The same wall-clock moment `years` calendar years earlier (29 Feb -> 28 Feb)."""
    local = when.astimezone(zone)
    day = clamped(local.year - years, local.month, local.day)
    return local.replace(year=day.year, day=day.day)


def months_before(when: datetime, months: int, zone: tzinfo) -> datetime:
    """The same wall-clock moment `months` calendar months earlier (31 Mar -> 28 Feb)."""
    local = when.astimezone(zone)
    month = Month(local.year, local.month).shift(-months)
    day = clamped(month.year, month.month, local.day)
    return local.replace(year=day.year, month=day.month, day=day.day)
