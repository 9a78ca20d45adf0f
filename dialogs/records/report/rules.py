"""The oversight report's computations: pure functions of the rows, no I/O (s7.1, s5, s9).

Figures are computed for the month in the office's time zone; "in force" and "open" are
as at the end of the month (or now, for the month in progress), and events count up to
that moment. Members of the public appear by case reference only, and the equality
section by counts only.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from dialogs import catalogue as cat
from dialogs.policy_map import carries
from dialogs.records.months import Month
from storage import models as m
from storage.models.status import AuthorisationKind, AuthorisationStatus

SERIES_MONTHS = 12


@dataclass(frozen=True)
class Window:
    """The moments a report on `month` covers: from its start to its end, or to now."""

    month: Month
    zone: tzinfo
    now: datetime

    @property
    def start(self) -> datetime:
        return self.month.start(self.zone)

    @property
    def end(self) -> datetime:
        """What the report is as at: the month's end, or now for the month in progress."""
        return min(self.month.end(self.zone), self.now)

    @property
    def start_day(self) -> date:
        return self.start.astimezone(self.zone).date()

    @property
    def end_day(self) -> date:
        """The office's date at the last moment the report covers."""
        return (self.end - timedelta(microseconds=1)).astimezone(self.zone).date()

    @property
    def months(self) -> list[Month]:
        """The twelve months the chart shows, ending with this one."""
        first = self.month.shift(-(SERIES_MONTHS - 1))
        return [first.shift(n) for n in range(SERIES_MONTHS)]

    @property
    def year_start(self) -> datetime:
        """The start of the chart's first month: "in the last 12 months" counts from here."""
        return self.months[0].start(self.zone)


def within(when: datetime | None, start: datetime, end: datetime) -> bool:
    return when is not None and start <= when < end


def in_force(strategy: m.ContactStrategy, at: datetime) -> bool:
    return (
        strategy.activated_at is not None
        and strategy.activated_at < at
        and (strategy.ended_at is None or strategy.ended_at >= at)
    )


def hours(seconds: float) -> float:
    return round(seconds / 3600, 1)


def has_needs(person: m.Person) -> bool:
    return bool(person.additional_needs.strip())


def in_force_at_end(
    strategies: Iterable[m.ContactStrategy], references: dict[int, str], w: Window
) -> list[m.ContactStrategy]:
    """The strategies in force when the report is as at, soonest review first."""
    return sorted(
        (s for s in strategies if in_force(s, w.end)),
        key=lambda s: (s.review_date, references[s.person_id]),
    )


def strategy_lines(
    strategies: list[m.ContactStrategy],
    references: dict[int, str],
    names: dict[int, str],
    w: Window,
) -> list[dict[str, Any]]:
    """Each strategy in force with its review date, owner and days overdue (s7.1)."""
    return [
        {
            "reference": references[s.person_id],
            "strategy_id": s.id,
            "review_date": s.review_date.isoformat(),
            "owner": names.get(s.proposer_id, "-"),
            "restrictions": [cat.label(cat.RESTRICTIONS, r.kind) for r in s.restrictions],
            "days_overdue": max((w.end_day - s.review_date).days, 0),
        }
        for s in strategies
    ]


def police_open(open_at_end: list[tuple[m.Incident, str]], w: Window) -> list[dict[str, Any]]:
    """s6: reports still to go to the police at the month's end, oldest first, with how
    long each had been open."""
    return [
        {
            "reference": reference,
            "reported_on": incident.created_at.astimezone(w.zone).date().isoformat(),
            "days_open": (w.end - incident.created_at).days,
        }
        for incident, reference in open_at_end
    ]


def incident_counts(incidents: list[m.Incident]) -> dict[str, Any]:
    """The month's incidents by behaviour category, behaviour and channel (s3.1, s3.2)."""
    by_group: Counter[str] = Counter()
    by_item: Counter[str] = Counter()
    for incident in incidents:
        groups = set()
        for behaviour in incident.behaviours:
            group, item = cat.BEHAVIOURS.get(behaviour, (None, None))
            if group is None or item is None:
                continue
            groups.add(group.id)
            by_item[item.label] += 1
        by_group.update(groups)
    by_channel = Counter(cat.label(cat.CHANNELS, i.channel) for i in incidents)
    return {
        "total": len(incidents),
        "violence": sum(1 for i in incidents if i.violence),
        "by_category": [
            {"label": g.label, "count": by_group.get(g.id, 0)} for g in cat.BEHAVIOUR_GROUPS
        ],
        "by_behaviour": [{"label": label, "count": n} for label, n in sorted(by_item.items())],
        "by_channel": [
            {"label": c.label, "count": by_channel.get(c.label, 0)} for c in cat.CHANNELS
        ],
    }


def series(
    incidents: list[m.Incident], strategies: list[m.ContactStrategy], w: Window
) -> dict[str, Any]:
    """Twelve months of incidents by category, and strategies in force at each month's end."""
    months = w.months
    categories: dict[str, list[int]] = {g.label: [0] * SERIES_MONTHS for g in cat.BEHAVIOUR_GROUPS}
    for incident in incidents:
        index = months.index(Month.of(incident.occurred_at, w.zone))
        for group in cat.BEHAVIOUR_GROUPS:
            if any(b in incident.behaviours for b in (i.id for i in cat.read_items(group))):
                categories[group.label][index] += 1
    return {
        "months": [str(month) for month in months],
        "labels": [month.short for month in months],
        "categories": categories,
        "strategies_in_force": [
            sum(1 for s in strategies if in_force(s, min(month.end(w.zone), w.now)))
            for month in months
        ],
    }


def breach_counts(breaches: list[m.Breach], case_of: dict[int, str]) -> dict[str, Any]:
    """Breaches of a strategy (s7.1), by case; `case_of` maps a strategy to its case."""
    by_case = Counter(case_of[b.strategy_id] for b in breaches)
    return {
        "total": len(breaches),
        "by_case": [{"reference": r, "count": n} for r, n in sorted(by_case.items())],
    }


def dispute_counts(disputes: list[m.Dispute], w: Window) -> dict[str, Any]:
    """Disputes to the Chief Executive (s7.3): received, decided and open."""
    decided = [d for d in disputes if within(d.decided_at, w.start, w.end)]
    outcomes = Counter(cat.label(cat.DISPUTE_OUTCOMES, d.outcome or "") for d in decided)
    return {
        "received": sum(1 for d in disputes if w.start_day <= d.received_on <= w.end_day),
        "decided": len(decided),
        "outcomes": [
            {"label": o.label, "count": outcomes.get(o.label, 0)} for o in cat.DISPUTE_OUTCOMES
        ],
        "open": sum(
            1
            for d in disputes
            if d.created_at < w.end and (d.decided_at is None or d.decided_at >= w.end)
        ),
    }


def sharing_counts(
    requests: list[m.SharingRequest], decisions: dict[int, str], disclosures: int
) -> dict[str, Any]:
    """Sharing with partner agencies (s7.1), with the authoriser's decision."""
    status = Counter(decisions.get(r.id, AuthorisationStatus.PENDING) for r in requests)
    return {
        "requested": len(requests),
        "approved": status.get(AuthorisationStatus.APPROVED, 0),
        "denied": status.get(AuthorisationStatus.DENIED, 0),
        "pending": status.get(AuthorisationStatus.PENDING, 0),
        "disclosures": disclosures,
    }


def sar_counts(
    requests: list[m.SubjectAccessRequest], references: dict[int, str], w: Window
) -> dict[str, Any]:
    """Subject access requests (s9): open at the end of the month, and closed in it."""
    end = w.end_day
    still_open = sorted(
        (
            r
            for r in requests
            if r.received_on <= end and (r.closed_on is None or r.closed_on > end)
        ),
        key=lambda r: (r.due_on, r.id),
    )
    closed = [r for r in requests if r.closed_on is not None and w.start_day <= r.closed_on <= end]
    return {
        "open": [
            {
                "reference": references[r.person_id],
                "received_on": r.received_on.isoformat(),
                "due_on": r.due_on.isoformat(),
                "days_left": (r.due_on - end).days,
            }
            for r in still_open
        ],
        "closed": len(closed),
        "closed_late": sum(1 for r in closed if r.closed_on and r.closed_on > r.due_on),
    }


def authorisation_times(auths: list[m.Authorisation], w: Window) -> dict[str, Any]:
    """How long authorisations took (s7): decided this month, and still waiting."""
    by_kind: dict[str, list[float]] = {}
    for a in auths:
        if a.decided_at is not None and within(a.decided_at, w.start, w.end):
            by_kind.setdefault(a.kind, []).append((a.decided_at - a.created_at).total_seconds())
    waits = [wait for values in by_kind.values() for wait in values]
    pending = [
        a for a in auths if a.created_at < w.end and (a.decided_at is None or a.decided_at >= w.end)
    ]
    return {
        "decided": len(waits),
        "median_hours": hours(statistics.median(waits)) if waits else None,
        "longest_hours": hours(max(waits)) if waits else None,
        "by_kind": [
            {"kind": kind, "decided": len(values), "median_hours": hours(statistics.median(values))}
            for kind, values in sorted(by_kind.items())
        ],
        "pending": len(pending),
        "oldest_pending_hours": (
            hours(max((w.end - a.created_at).total_seconds() for a in pending)) if pending else None
        ),
    }


def equality(
    in_force_now: list[m.ContactStrategy],
    incidents: list[m.Incident],
    auths: list[m.Authorisation],
    person_of: dict[int, m.Person],
    strategy_person: dict[int, int],
    w: Window,
) -> dict[str, Any]:
    """Equality monitoring (s5; Equality Act 2010): counts only, never names."""
    restricted = {s.person_id for s in in_force_now}
    reported = {i.person_id for i in incidents if i.occurred_at >= w.year_start}
    decisions = [
        a
        for a in auths
        if a.kind == AuthorisationKind.STRATEGY
        and within(a.decided_at, w.year_start, w.end)
        and a.strategy_id
    ]

    def split(status: str) -> dict[str, int]:
        chosen = [
            person_of[strategy_person[a.strategy_id]]
            for a in decisions
            if a.status == status and a.strategy_id in strategy_person
        ]
        with_needs = sum(1 for p in chosen if has_needs(p))
        return {"with_needs": with_needs, "without_needs": len(chosen) - with_needs}

    return {
        "strategies_in_force": len(in_force_now),
        "strategies_in_force_with_needs": sum(
            1 for s in in_force_now if has_needs(person_of[s.person_id])
        ),
        "people_restricted": len(restricted),
        "people_restricted_with_needs": sum(1 for p in restricted if has_needs(person_of[p])),
        "people_reported_in_year": len(reported),
        "people_reported_in_year_with_needs": sum(1 for p in reported if has_needs(person_of[p])),
        "approved_in_year": split(AuthorisationStatus.APPROVED),
        "denied_in_year": split(AuthorisationStatus.DENIED),
    }


POLICY = (
    carries(
        "5",
        "Equality monitoring in the oversight report: strategies and decisions counted against "
        "people with recorded additional needs, counts only (Equality Act 2010).",
        "tests/integration/test_records_report.py::test_figures_match_the_rows_in_the_database",
        "tests/unit/test_records_report.py::test_equality_monitoring_counts_people_with_recorded_needs_only",
    ),
    carries(
        "9",
        "Open subject access requests and their due dates are listed in every oversight report "
        "until they are closed.",
        "tests/integration/test_records_report.py::test_figures_match_the_rows_in_the_database",
        "tests/unit/test_records_report.py::test_subject_access_requests_open_at_the_end_and_closed_late",
    ),
)
