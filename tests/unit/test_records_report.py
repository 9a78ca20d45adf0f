"""Pure oversight-report rules and views (s7.1, s5, s9), on unsaved rows: no database.

The end-to-end figures against a seeded database are in test_records_report.py; these
pin each computation on its own, so a broken rule names itself in microseconds.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.records.months import Month
from dialogs.records.report import rules, view
from storage import models as m

LONDON = ZoneInfo("Europe/London")
NOVEMBER = Month(2026, 11)
AFTER = datetime(2027, 1, 10, tzinfo=UTC)  # November is over: the report is as at its end
W = rules.Window(NOVEMBER, LONDON, AFTER)


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def test_the_window_is_the_month_to_its_end_or_to_now() -> None:
    assert W.start == datetime(2026, 11, 1, tzinfo=LONDON)
    assert W.end == datetime(2026, 12, 1, tzinfo=LONDON)
    assert (W.start_day, W.end_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [str(x) for x in W.months[:2]] == ["2025-12", "2026-01"] and W.months[-1] == NOVEMBER
    assert W.year_start == datetime(2025, 12, 1, tzinfo=LONDON)
    midway = rules.Window(NOVEMBER, LONDON, at("2026-11-04"))
    assert midway.end == at("2026-11-04") and midway.end_day == date(2026, 11, 4)


def strategy(sid: int, person_id: int, review: str, **kw: Any) -> m.ContactStrategy:
    return m.ContactStrategy(
        id=sid, person_id=person_id, proposer_id=1, review_date=date.fromisoformat(review),
        restrictions=[], **kw,
    )  # fmt: skip


def test_strategies_in_force_at_the_end_soonest_review_first_with_days_overdue() -> None:
    refs = {1: "SC-1", 2: "SC-2", 3: "SC-3"}
    strategies = [
        strategy(10, 1, "2027-02-01", activated_at=at("2026-06-01")),
        strategy(11, 2, "2026-11-20", activated_at=at("2026-06-01")),
        strategy(12, 3, "2026-11-25", activated_at=at("2026-06-01"), ended_at=at("2026-11-15")),
        strategy(13, 3, "2026-12-01", activated_at=at("2026-12-02")),  # not yet
    ]
    in_force = rules.in_force_at_end(strategies, refs, W)
    assert [s.id for s in in_force] == [11, 10]
    lines = rules.strategy_lines(in_force, refs, {1: "Jo Reed"}, W)
    assert [(s["reference"], s["owner"], s["days_overdue"]) for s in lines] == [
        ("SC-2", "Jo Reed", 10),
        ("SC-1", "Jo Reed", 0),
    ]
    assert rules.strategy_lines(in_force, refs, {}, W)[0]["owner"] == "-"  # owner has left


def incident(person_id: int, when: str, behaviours: list[str], **kw: Any) -> m.Incident:
    return m.Incident(
        person_id=person_id, occurred_at=at(when), behaviours=behaviours,
        channel=kw.pop("channel", "email"), violence=kw.pop("violence", False), **kw,
    )  # fmt: skip


def test_incidents_count_once_per_category_and_by_channel() -> None:
    counted = rules.incident_counts(
        [
            incident(1, "2026-11-02", ["abuse", "harassment"], channel="telephone", violence=True),
            incident(2, "2026-11-03", ["demand_updates", "unknown_id"]),
        ]
    )
    assert (counted["total"], counted["violence"]) == (2, 1)
    assert [c["count"] for c in counted["by_category"]] == [1, 1, 0]  # abuse+harassment: once
    assert {b["label"] for b in counted["by_behaviour"]} == {
        "Abuse, derogatory, discriminatory or defamatory remarks",
        "Harassment, intimidation or threats",
        "Persistently calling, writing or emailing to demand updates",
    }
    channels = {c["label"]: c["count"] for c in counted["by_channel"]}
    assert channels["Telephone"] == 1 and channels["Email"] == 1 and channels["Letter"] == 0


def test_the_series_counts_twelve_months_and_strategies_at_each_month_end() -> None:
    incidents = [incident(1, "2025-12-01", ["abuse"]), incident(1, "2026-11-30", ["abuse"])]
    strategies = [strategy(10, 1, "2027-01-01", activated_at=at("2026-10-15"))]
    series = rules.series(incidents, strategies, W)
    assert series["months"][0] == "2025-12" and series["labels"][-1] == "Nov 2026"
    unacceptable = series["categories"]["Unacceptable behaviour (s3.1)"]
    assert unacceptable[0] == 1 and unacceptable[-1] == 1 and sum(unacceptable) == 2
    assert series["strategies_in_force"][-3:] == [0, 1, 1]


def test_breaches_disputes_and_sharing() -> None:
    breaches = [m.Breach(strategy_id=10), m.Breach(strategy_id=10), m.Breach(strategy_id=11)]
    assert rules.breach_counts(breaches, {10: "SC-2", 11: "SC-1"}) == {
        "total": 3,
        "by_case": [{"reference": "SC-1", "count": 1}, {"reference": "SC-2", "count": 2}],
    }
    disputes = [
        m.Dispute(received_on=date(2026, 11, 2), created_at=at("2026-11-02"),
                  outcome="upheld", decided_at=at("2026-11-20")),
        m.Dispute(received_on=date(2026, 11, 25), created_at=at("2026-11-25"), decided_at=None),
        m.Dispute(received_on=date(2026, 10, 1), created_at=at("2026-10-01"),
                  outcome="different", decided_at=at("2026-12-05")),  # open at the month's end
    ]  # fmt: skip
    counted = rules.dispute_counts(disputes, W)
    assert (counted["received"], counted["decided"], counted["open"]) == (2, 1, 2)
    assert [o["count"] for o in counted["outcomes"]] == [1, 0]
    requests = [m.SharingRequest(id=1), m.SharingRequest(id=2), m.SharingRequest(id=3)]
    assert rules.sharing_counts(requests, {1: "approved", 3: "denied"}, disclosures=4) == {
        "requested": 3,
        "approved": 1,
        "denied": 1,
        "pending": 1,  # no decision yet
        "disclosures": 4,
    }


def test_subject_access_requests_open_at_the_end_and_closed_late() -> None:
    def sar(pid: int, received: str, due: str, closed: str | None = None) -> Any:
        return m.SubjectAccessRequest(
            id=pid,
            person_id=pid,
            received_on=date.fromisoformat(received),
            due_on=date.fromisoformat(due),
            closed_on=date.fromisoformat(closed) if closed else None,
        )

    counted = rules.sar_counts(
        [
            sar(1, "2026-10-20", "2026-11-20"),
            sar(2, "2026-11-01", "2026-12-01", closed="2026-12-03"),  # closed after the month
            sar(3, "2026-10-01", "2026-11-02", closed="2026-11-10"),  # closed late in it
            sar(4, "2026-12-02", "2027-01-04"),  # not yet received
        ],
        {1: "SC-1", 2: "SC-2", 3: "SC-3", 4: "SC-4"},
        W,
    )
    assert [(r["reference"], r["days_left"]) for r in counted["open"]] == [
        ("SC-1", -10),
        ("SC-2", 1),
    ]
    assert (counted["closed"], counted["closed_late"]) == (1, 1)


def test_how_long_authorisations_took() -> None:
    def auth(kind: str, asked: str, hours: float | None, **kw: Any) -> m.Authorisation:
        decided = None if hours is None else at(asked) + timedelta(hours=hours)
        return m.Authorisation(kind=kind, created_at=at(asked), decided_at=decided, **kw)

    times = rules.authorisation_times(
        [
            auth("strategy", "2026-11-02", 36),
            auth("strategy", "2026-11-10", 48),
            auth("sharing", "2026-11-12", 6),
            auth("strategy", "2026-10-01", 24),  # decided in October
            auth("strategy", "2026-11-25", None),  # still waiting at the month's end
        ],
        W,
    )
    assert (times["decided"], times["median_hours"], times["longest_hours"]) == (3, 36.0, 48.0)
    assert times["by_kind"] == [
        {"kind": "sharing", "decided": 1, "median_hours": 6.0},
        {"kind": "strategy", "decided": 2, "median_hours": 42.0},
    ]
    assert (times["pending"], times["oldest_pending_hours"]) == (1, 132.0)
    empty = rules.authorisation_times([], W)
    assert empty["median_hours"] is None and empty["oldest_pending_hours"] is None


def test_equality_monitoring_counts_people_with_recorded_needs_only() -> None:
    people = {
        1: m.Person(id=1, additional_needs="Dyslexia"),
        2: m.Person(id=2, additional_needs="  "),  # blank is not a recorded need
        3: m.Person(id=3, additional_needs=""),
    }
    in_force = [strategy(10, 1, "2027-01-01"), strategy(11, 2, "2027-01-01")]
    incidents = [incident(1, "2026-11-02", []), incident(3, "2025-11-30", [])]  # before the year

    def decision(strategy_id: int, kind: str, status: str) -> m.Authorisation:
        return m.Authorisation(
            strategy_id=strategy_id, kind=kind, status=status, decided_at=at("2026-06-01")
        )

    auths = [
        decision(10, "strategy", "approved"),
        decision(11, "strategy", "approved"),
        decision(12, "strategy", "denied"),
        decision(10, "change", "approved"),  # an alteration is not a new restriction
    ]
    eq = rules.equality(in_force, incidents, auths, people, {10: 1, 11: 2, 12: 3}, W)
    counted = [(key, value) for key, value in eq.items() if isinstance(value, int)]
    assert counted == [
        ("strategies_in_force", 2), ("strategies_in_force_with_needs", 1),
        ("people_restricted", 2), ("people_restricted_with_needs", 1),
        ("people_reported_in_year", 1), ("people_reported_in_year_with_needs", 1),
    ]  # fmt: skip
    assert eq["approved_in_year"] == {"with_needs": 1, "without_needs": 1}
    assert eq["denied_in_year"] == {"with_needs": 0, "without_needs": 1}
    assert len(eq) == len(counted) + 2


def figures(strategies: int = 2, sars: int = 1) -> dict[str, Any]:
    """Figures of the shape figures.figures returns, small enough to read."""
    listed = [
        {"reference": f"SC-{n}", "strategy_id": n, "review_date": "2026-11-20", "owner": "Jo",
         "restrictions": ["Limit the length of phone calls"], "days_overdue": n % 2}
        for n in range(strategies)
    ]  # fmt: skip
    open_sars = [
        {"reference": f"SC-{n}", "received_on": "2026-10-20", "due_on": "2026-11-20",
         "days_left": -1 if n == 0 else 1}
        for n in range(sars)
    ]  # fmt: skip
    counted = {"label": "Email", "count": 1}
    return {
        "month": "2026-11",
        "title": "November 2026",
        "as_of": "2026-12-01T00:00+00:00",
        "time_zone": "Europe/London",
        "strategies_in_force": listed,
        "overdue_reviews": [s for s in listed if s["days_overdue"]],
        "incidents": {"total": 1, "violence": 0, "by_category": [counted],
                      "by_behaviour": [counted], "by_channel": [counted]},
        "breaches": {"total": 0, "by_case": []},
        "disputes": {"received": 0, "decided": 0, "outcomes": [], "open": 0},
        "sharing": {"requested": 1, "approved": 0, "denied": 0, "pending": 1, "disclosures": 1},
        "subject_access_requests": {"open": open_sars, "closed": 0, "closed_late": 0},
        "authorisations": {"decided": 0, "median_hours": None, "longest_hours": None,
                           "by_kind": [], "pending": 0, "oldest_pending_hours": None},
        "equality": {"people_restricted": 2, "people_restricted_with_needs": 1,
                     "people_reported_in_year": 0, "people_reported_in_year_with_needs": 0,
                     "approved_in_year": {"with_needs": 0, "without_needs": 0},
                     "denied_in_year": {"with_needs": 0, "without_needs": 0}},
        "series": {"months": ["2026-11"], "labels": ["Nov 2026"],
                   "categories": {"Unacceptable behaviour (s3.1)": [1]},
                   "strategies_in_force": [2]},
    }  # fmt: skip


def test_the_csv_has_every_figure_as_a_row() -> None:
    rows = list(csv.reader(io.StringIO(view.to_csv(figures(sars=2)))))
    assert rows[0] == ["section", "item", "value", "detail"]
    assert rows[1] == ["report", "month", "2026-11", "as at 2026-12-01T00:00+00:00 (Europe/London)"]
    assert [
        "strategy in force",
        "SC-1",
        "2026-11-20",
        "owner Jo; Limit the length of phone calls; review 1 day overdue",
    ] in rows
    assert ["authorisations", "median hours", "", ""] in rows  # nothing decided: blank
    assert ["sharing with partner agencies", "disclosures", "1", ""] in rows
    opened = [
        "subject access request open",
        "SC-1",
        "2026-11-20",
        "received 2026-10-20; 1 day left",
    ]
    assert opened in rows
    assert ["equality monitoring", "approved in year with needs", "0", ""] in rows
    assert rows[-1] == ["strategies in force per month", "2026-11", "2", "month end"]


def test_the_card_lists_ten_by_name_and_counts_the_rest() -> None:
    model = view.card_model(figures(strategies=12, sars=1))
    assert model["title"] == "Oversight report: November 2026"
    assert model["as_of"] == "2026-12-01 00:00"
    facts = {f["label"]: f["value"] for f in model["headline"]}
    assert facts["Sharing requests"] == "1 (0 approved, 0 denied, 1 waiting); 1 disclosure"
    assert facts["Subject access requests open"] == "1 (1 overdue)"
    assert facts["Authorisations decided"] == "0; 0 waiting"
    sections = {s["title"]: s["lines"] for s in model["sections"]}
    listed = sections["Contact strategies in force (s7.1)"]
    assert len(listed) == 11 and listed[-1] == "... and 2 more in the CSV"
    assert listed[1] == "SC-1: review 20 Nov 2026, owner Jo, 1 day overdue"
    assert sections["Subject access requests open (s9)"] == ["SC-0: due 20 Nov 2026, 1 day overdue"]
    assert sections["Dispute outcomes this month (s7.3)"] == ["None decided"]
    none = {s["title"]: s["lines"] for s in view.card_model(figures(0, 0))["sections"]}
    assert none["Contact strategies in force (s7.1)"] == ["None in force"]
    assert (
        "People with a strategy in force who have recorded needs: 1 of 2 (50%)"
        in (sections["Equality monitoring, counts only (s5)"])
    )
    assert view.plural(1, "day") == "1 day" and view.plural(0, "day") == "0 days"
