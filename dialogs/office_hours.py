"""Office hours: reminders wait for the next opening; urgent alerts never wait.

Staff should not be pinged about a review date at 2am or on a Sunday; a breach, a
criminal or safeguarding flag, or a police report required goes at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.office import WEEKDAYS, PolicySettings


def is_open(when: datetime, policy: PolicySettings) -> bool:
    local = when.astimezone(policy.zone)
    return (
        WEEKDAYS[local.weekday()] in policy.working_days
        and policy.office_hours_start <= local.time().replace(tzinfo=None) < policy.office_hours_end
    )


def next_opening(when: datetime, policy: PolicySettings) -> datetime:
    """`when` itself if the office is open then, else the start of the next working day."""
    if is_open(when, policy):
        return when
    local = when.astimezone(policy.zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in policy.working_days:
            continue
        opening = datetime.combine(day, policy.office_hours_start, tzinfo=policy.zone)
        if opening > when:
            return opening
    raise ValueError("no working day in the week; check policy.working_days")
