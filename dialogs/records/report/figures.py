"""The oversight report's figures for a month: the rows read, computed into plain data.

s7.1 asks for "systems ... in place locally to review any contact strategies on a regular
basis"; s5 and the Equality Act 2010 ask that restrictions do not fall unevenly on people
with additional needs; s9 asks that information rights are met on time. The figures:
strategies in force with their review dates and owners, overdue reviews, incidents by
category and channel, police reports still to make (s6), breaches, disputes and their
outcomes, sharing requests, subject access requests due, how long authorisations took,
and the equality-monitoring counts, with twelve months of incidents and strategies for
the chart.

Review dates are as they stand today: a review that moved a date also moves it in an
old report. The rules are in `rules.py`; this module only reads and assembles.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialogs.office import PolicySettings
from dialogs.records.months import Month
from dialogs.records.report import rules
from storage import oversight
from storage import staff as staff_repo
from storage import subject_access as sar_repo
from storage.db import AsyncSession


async def figures(
    session: AsyncSession, *, month: Month, now: datetime, policy: PolicySettings
) -> dict[str, Any]:
    """Every figure of the report for `month`, JSON-ready; reads only."""
    w = rules.Window(month, policy.zone, now)
    people = await oversight.people(session)
    references = {pid: p.reference for pid, p in people.items()}
    strategy_person = await oversight.strategy_people(session)
    strategies = await oversight.strategies_activated(session)
    in_force = rules.in_force_at_end(strategies, references, w)
    listed = rules.strategy_lines(in_force, references, await staff_repo.names(session), w)
    incidents = await oversight.incidents_between(session, start=w.year_start, end=w.end)
    this_month = [i for i in incidents if rules.within(i.occurred_at, w.start, w.end)]
    breaches = await oversight.breaches_between(session, start=w.start, end=w.end)
    requests = await oversight.sharing_requests_between(session, start=w.start, end=w.end)
    auths = await oversight.authorisations(session)
    return {
        "month": str(month),
        "title": month.title,
        "as_of": w.end.astimezone(w.zone).isoformat(timespec="minutes"),
        "time_zone": str(w.zone),
        "strategies_in_force": listed,
        "overdue_reviews": [s for s in listed if s["days_overdue"] > 0],
        "incidents": rules.incident_counts(this_month),
        "police_referrals_open": rules.police_open(
            await oversight.police_referrals_open_at(session, end=w.end), w
        ),
        "breaches": rules.breach_counts(
            breaches, {sid: references[pid] for sid, pid in strategy_person.items()}
        ),
        "disputes": rules.dispute_counts(await oversight.disputes(session), w),
        "sharing": rules.sharing_counts(
            requests,
            await oversight.sharing_decisions(session),
            await oversight.disclosures_between(session, start=w.start, end=w.end),
        ),
        "subject_access_requests": rules.sar_counts(
            await sar_repo.every_request(session), references, w
        ),
        "authorisations": rules.authorisation_times(auths, w),
        "equality": rules.equality(in_force, incidents, auths, people, strategy_person, w),
        "series": rules.series(incidents, strategies, w),
    }
