"""Running a due job: its typed payload handed to the handler its domain declares.

Each handler runs inside the scheduler's change, together with marking its job done, so
a crash either keeps both or neither. A handler re-checks the world before it speaks: a
review already held, a referral already recorded, a request already decided mean the
reminder is no longer needed and is quietly dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from dialogs.change import Change
from dialogs.jobs.payloads import JobPayload, parse
from storage.models import ScheduledJob

Handler = Callable[[Change, Any], Awaitable[str]]


@cache
def handlers() -> dict[str, Handler]:
    from dialogs.authorisation.interactions import JOBS as authorisation
    from dialogs.incident.interactions import JOBS as incident
    from dialogs.notice.interactions import JOBS as notice
    from dialogs.records.jobs import JOBS as records
    from dialogs.review.interactions import JOBS as review
    from dialogs.welfare.interactions import JOBS as welfare

    return {**welfare, **incident, **authorisation, **review, **records, **notice}


async def run(uow: Change, job: ScheduledJob) -> str:
    """Run one due job; LookupError for a kind nothing handles (it is never retried)."""
    payload: JobPayload = parse(job.kind, job.payload)
    return await handlers()[job.kind](uow, payload)
