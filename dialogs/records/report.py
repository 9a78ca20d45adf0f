"""The monthly oversight report: is the policy being applied, and applied fairly? (s7.1, s5)

s7.1 asks for "systems ... in place locally to review any contact strategies on a regular
basis"; s5 and the Equality Act 2010 ask that restrictions do not fall unevenly on people
with additional needs; s9 asks that information rights are met on time. Once a month the
authorisers and the admins get the figures for the month before: strategies in force with
their review dates and owners, overdue reviews, incidents by category and channel,
breaches, disputes and their outcomes, sharing requests, subject access requests due, how
long authorisations took, and the equality-monitoring counts. A chart of the last twelve
months and a CSV of every figure go with the card.

Members of the public appear by case reference only, and the equality section by counts
only. Figures are computed for the month in the office's time zone; "in force" and
"open" are as at the end of the month (or now, for the month in progress). Review dates
are as they stand today: a review that moved a date also moves it in an old report.
"""

from __future__ import annotations

import asyncio
import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.records import incidents_chart
from dialogs import catalogue as cat
from dialogs.change import Change, actor_ref
from dialogs.kinds import AuditAction, Template
from dialogs.office import PolicySettings
from dialogs.office_hours import next_opening
from dialogs.policy_map import carries
from dialogs.records.months import Month
from storage import audit
from storage import staff as staff_repo
from storage.models import (
    Attachment,
    Authorisation,
    Breach,
    ContactStrategy,
    Disclosure,
    Dispute,
    Incident,
    Person,
    SharingRequest,
    StaffMember,
    SubjectAccessRequest,
)
from storage.models.status import OutboxKind

SERIES_MONTHS = 12
# How many strategies the card lists by name; the CSV has every one.
CARD_LIST_LIMIT = 10


def _in(when: datetime | None, start: datetime, end: datetime) -> bool:
    return when is not None and start <= when < end


def _in_force(strategy: ContactStrategy, at: datetime) -> bool:
    return (
        strategy.activated_at is not None
        and strategy.activated_at < at
        and (strategy.ended_at is None or strategy.ended_at >= at)
    )


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 1)


def _needs(person: Person) -> bool:
    return bool(person.additional_needs.strip())


async def figures(
    session: AsyncSession, *, month: Month, now: datetime, policy: PolicySettings
) -> dict[str, Any]:
    """Every figure of the report for `month`, JSON-ready; reads only."""
    zone = policy.zone
    start, end = month.start(zone), month.end(zone)
    as_of = min(end, now)
    # Events count up to the moment the report is as at: the month's end, or now.
    end = as_of
    # The office's date at the last moment the report covers (the month's last day).
    as_of_day = (as_of - timedelta(microseconds=1)).astimezone(zone).date()
    start_day = start.astimezone(zone).date()
    first = month.shift(-(SERIES_MONTHS - 1))
    series_start = first.start(zone)

    people = {p.id: p for p in (await session.execute(select(Person))).scalars()}
    staff = {m.id: m for m in (await session.execute(select(StaffMember))).scalars()}
    strategies = list(
        (
            await session.execute(
                select(ContactStrategy).where(ContactStrategy.activated_at.is_not(None))
            )
        ).scalars()
    )
    # Every strategy's person, in force or not (breaches and denials point at strategies).
    rows = await session.execute(select(ContactStrategy.id, ContactStrategy.person_id))
    strategy_person: dict[int, int] = {sid: pid for sid, pid in rows.all()}

    # Strategies in force, with review dates and owners (case references only).
    in_force = sorted(
        (s for s in strategies if _in_force(s, as_of)),
        key=lambda s: (s.review_date, people[s.person_id].reference),
    )
    listed = []
    for s in in_force:
        overdue = (as_of_day - s.review_date).days if s.review_date < as_of_day else 0
        owner = staff.get(s.proposer_id)
        listed.append(
            {
                "reference": people[s.person_id].reference,
                "strategy_id": s.id,
                "review_date": s.review_date.isoformat(),
                "owner": owner.name if owner is not None else "-",
                "restrictions": [cat.label(cat.RESTRICTIONS, r.kind) for r in s.restrictions],
                "days_overdue": overdue,
            }
        )
    overdue_reviews = [s for s in listed if s["days_overdue"] > 0]

    # Incidents: this month by category, behaviour and channel; twelve months for the chart.
    incidents = list(
        (
            await session.execute(
                select(Incident).where(
                    Incident.occurred_at >= series_start, Incident.occurred_at < end
                )
            )
        ).scalars()
    )
    this_month = [i for i in incidents if _in(i.occurred_at, start, end)]
    by_group: Counter[str] = Counter()
    by_item: Counter[str] = Counter()
    for incident in this_month:
        groups = set()
        for behaviour in incident.behaviours:
            group, item = cat.BEHAVIOURS.get(behaviour, (None, None))
            if group is None or item is None:
                continue
            groups.add(group.id)
            by_item[item.label] += 1
        by_group.update(groups)
    by_channel = Counter(cat.label(cat.CHANNELS, i.channel) for i in this_month)

    months = [first.shift(n) for n in range(SERIES_MONTHS)]
    series_categories: dict[str, list[int]] = {
        g.label: [0] * SERIES_MONTHS for g in cat.BEHAVIOUR_GROUPS
    }
    for incident in incidents:
        index = months.index(Month.of(incident.occurred_at, zone))
        for group in cat.BEHAVIOUR_GROUPS:
            if any(b in incident.behaviours for b in (i.id for i in group.items)):
                series_categories[group.label][index] += 1
    series_in_force = [
        sum(1 for s in strategies if _in_force(s, min(m.end(zone), now))) for m in months
    ]

    # Breaches of a strategy (s7.1).
    breaches = list(
        (
            await session.execute(
                select(Breach).where(Breach.occurred_at >= start, Breach.occurred_at < end)
            )
        ).scalars()
    )
    breach_cases = Counter(people[strategy_person[b.strategy_id]].reference for b in breaches)

    # Disputes to the Chief Executive (s7.3).
    disputes = list((await session.execute(select(Dispute))).scalars())
    received = [d for d in disputes if start_day <= d.received_on <= as_of_day]
    decided = [d for d in disputes if _in(d.decided_at, start, end)]
    open_disputes = [
        d
        for d in disputes
        if d.created_at < as_of and (d.decided_at is None or d.decided_at >= as_of)
    ]
    outcomes = Counter(cat.label(cat.DISPUTE_OUTCOMES, d.outcome or "") for d in decided)

    # Sharing with partner agencies (s7.1), with the authoriser's decision.
    requests = list(
        (
            await session.execute(
                select(SharingRequest).where(
                    SharingRequest.created_at >= start, SharingRequest.created_at < end
                )
            )
        ).scalars()
    )
    sharing_decisions = {
        a.sharing_request_id: a.status
        for a in (
            await session.execute(
                select(Authorisation)
                .where(Authorisation.kind == "sharing")
                .order_by(Authorisation.id)
            )
        ).scalars()
    }
    request_status = Counter(sharing_decisions.get(r.id, "pending") for r in requests)
    disclosures = (
        await session.execute(
            select(Disclosure.id).where(
                Disclosure.disclosed_at >= start, Disclosure.disclosed_at < end
            )
        )
    ).all()

    # Subject access requests (s9): open at the end of the month, and closed in it.
    sars = list((await session.execute(select(SubjectAccessRequest))).scalars())
    open_sars = sorted(
        (
            r
            for r in sars
            if r.received_on <= as_of_day and (r.closed_on is None or r.closed_on > as_of_day)
        ),
        key=lambda r: (r.due_on, r.id),
    )
    closed_sars = [
        r for r in sars if r.closed_on is not None and start_day <= r.closed_on <= as_of_day
    ]

    # How long authorisations took (s7): decided this month, and still waiting.
    auths = list((await session.execute(select(Authorisation))).scalars())
    decided_auths = [a for a in auths if _in(a.decided_at, start, end)]
    waits = [
        (a.decided_at - a.created_at).total_seconds()
        for a in decided_auths
        if a.decided_at is not None
    ]
    by_kind: dict[str, list[float]] = {}
    for a in decided_auths:
        if a.decided_at is not None:
            by_kind.setdefault(a.kind, []).append((a.decided_at - a.created_at).total_seconds())
    pending = [
        a for a in auths if a.created_at < as_of and (a.decided_at is None or a.decided_at >= as_of)
    ]

    # Equality monitoring (s5; Equality Act 2010): counts only, never names.
    in_force_people = {s.person_id for s in in_force}
    year_start = months[0].start(zone)
    reported_people = {i.person_id for i in incidents if i.occurred_at >= year_start}
    year_decisions = [
        a
        for a in auths
        if a.kind == "strategy" and _in(a.decided_at, year_start, end) and a.strategy_id
    ]

    def split(status: str) -> dict[str, int]:
        chosen = [
            people[strategy_person[a.strategy_id]]
            for a in year_decisions
            if a.status == status and a.strategy_id in strategy_person
        ]
        with_needs = sum(1 for p in chosen if _needs(p))
        return {"with_needs": with_needs, "without_needs": len(chosen) - with_needs}

    equality = {
        "strategies_in_force": len(in_force),
        "strategies_in_force_with_needs": sum(1 for s in in_force if _needs(people[s.person_id])),
        "people_restricted": len(in_force_people),
        "people_restricted_with_needs": sum(1 for p in in_force_people if _needs(people[p])),
        "people_reported_in_year": len(reported_people),
        "people_reported_in_year_with_needs": sum(1 for p in reported_people if _needs(people[p])),
        "approved_in_year": split("approved"),
        "denied_in_year": split("denied"),
    }

    return {
        "month": str(month),
        "title": month.title,
        "as_of": as_of.astimezone(zone).isoformat(timespec="minutes"),
        "time_zone": str(zone),
        "strategies_in_force": listed,
        "overdue_reviews": overdue_reviews,
        "incidents": {
            "total": len(this_month),
            "violence": sum(1 for i in this_month if i.violence),
            "by_category": [
                {"label": g.label, "count": by_group.get(g.id, 0)} for g in cat.BEHAVIOUR_GROUPS
            ],
            "by_behaviour": [{"label": label, "count": n} for label, n in sorted(by_item.items())],
            "by_channel": [
                {"label": c.label, "count": by_channel.get(c.label, 0)} for c in cat.CHANNELS
            ],
        },
        "breaches": {
            "total": len(breaches),
            "by_case": [{"reference": r, "count": n} for r, n in sorted(breach_cases.items())],
        },
        "disputes": {
            "received": len(received),
            "decided": len(decided),
            "outcomes": [
                {"label": o.label, "count": outcomes.get(o.label, 0)} for o in cat.DISPUTE_OUTCOMES
            ],
            "open": len(open_disputes),
        },
        "sharing": {
            "requested": len(requests),
            "approved": request_status.get("approved", 0),
            "denied": request_status.get("denied", 0),
            "pending": request_status.get("pending", 0),
            "disclosures": len(disclosures),
        },
        "subject_access_requests": {
            "open": [
                {
                    "reference": people[r.person_id].reference,
                    "received_on": r.received_on.isoformat(),
                    "due_on": r.due_on.isoformat(),
                    "days_left": (r.due_on - as_of_day).days,
                }
                for r in open_sars
            ],
            "closed": len(closed_sars),
            "closed_late": sum(1 for r in closed_sars if r.closed_on and r.closed_on > r.due_on),
        },
        "authorisations": {
            "decided": len(decided_auths),
            "median_hours": _hours(statistics.median(waits)) if waits else None,
            "longest_hours": _hours(max(waits)) if waits else None,
            "by_kind": [
                {
                    "kind": kind,
                    "decided": len(values),
                    "median_hours": _hours(statistics.median(values)),
                }
                for kind, values in sorted(by_kind.items())
            ],
            "pending": len(pending),
            "oldest_pending_hours": (
                _hours(max((as_of - a.created_at).total_seconds() for a in pending))
                if pending
                else None
            ),
        },
        "equality": equality,
        "series": {
            "months": [str(m) for m in months],
            "labels": [m.short for m in months],
            "categories": series_categories,
            "strategies_in_force": series_in_force,
        },
    }


def to_csv(report: dict[str, Any]) -> str:
    """Every figure as section,item,value,detail rows: for a spreadsheet or an auditor."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "item", "value", "detail"])
    month = report["month"]
    writer.writerow(["report", "month", month, f"as at {report['as_of']} ({report['time_zone']})"])
    for s in report["strategies_in_force"]:
        detail = [f"owner {s['owner']}", *s["restrictions"]]
        if s["days_overdue"]:
            detail.append(f"review {_n(s['days_overdue'], 'day')} overdue")
        writer.writerow(["strategy in force", s["reference"], s["review_date"], "; ".join(detail)])
    writer.writerow(["strategies", "in force", len(report["strategies_in_force"]), ""])
    writer.writerow(["strategies", "reviews overdue", len(report["overdue_reviews"]), ""])
    inc = report["incidents"]
    writer.writerow(["incidents", "total", inc["total"], ""])
    writer.writerow(["incidents", "violence used or threatened", inc["violence"], ""])
    for row in inc["by_category"]:
        writer.writerow(["incidents by category", row["label"], row["count"], ""])
    for row in inc["by_behaviour"]:
        writer.writerow(["incidents by behaviour", row["label"], row["count"], ""])
    for row in inc["by_channel"]:
        writer.writerow(["incidents by channel", row["label"], row["count"], ""])
    writer.writerow(["breaches", "total", report["breaches"]["total"], ""])
    for row in report["breaches"]["by_case"]:
        writer.writerow(["breaches by case", row["reference"], row["count"], ""])
    disputes = report["disputes"]
    for key in ("received", "decided", "open"):
        writer.writerow(["disputes", key, disputes[key], ""])
    for row in disputes["outcomes"]:
        writer.writerow(["dispute outcomes", row["label"], row["count"], ""])
    for key, value in report["sharing"].items():
        writer.writerow(["sharing with partner agencies", key, value, ""])
    sars = report["subject_access_requests"]
    for r in sars["open"]:
        writer.writerow(
            [
                "subject access request open",
                r["reference"],
                r["due_on"],
                f"received {r['received_on']}; {_n(r['days_left'], 'day')} left",
            ]
        )
    writer.writerow(["subject access requests", "open", len(sars["open"]), ""])
    writer.writerow(["subject access requests", "closed", sars["closed"], ""])
    writer.writerow(["subject access requests", "closed late", sars["closed_late"], ""])
    auth = report["authorisations"]
    for key in ("decided", "median_hours", "longest_hours", "pending", "oldest_pending_hours"):
        writer.writerow(["authorisations", key.replace("_", " "), _blank(auth[key]), ""])
    for row in auth["by_kind"]:
        writer.writerow(
            [
                "authorisations by kind",
                row["kind"],
                row["decided"],
                f"median {row['median_hours']} h",
            ]
        )
    for key, value in report["equality"].items():
        if isinstance(value, dict):
            for sub, n in value.items():
                writer.writerow(["equality monitoring", f"{key} {sub}".replace("_", " "), n, ""])
        else:
            writer.writerow(["equality monitoring", key.replace("_", " "), value, ""])
    series = report["series"]
    for i, m in enumerate(series["months"]):
        for label, counts in series["categories"].items():
            writer.writerow(["incidents per month", f"{m} {label}", counts[i], ""])
        writer.writerow(
            ["strategies in force per month", m, series["strategies_in_force"][i], "month end"]
        )
    return out.getvalue()


def _blank(value: Any) -> Any:
    return "" if value is None else value


def chart(report: dict[str, Any]) -> bytes:
    series = report["series"]
    labels = series["labels"]
    return incidents_chart(
        months=labels,
        categories=series["categories"],
        strategies=series["strategies_in_force"],
        title=(
            "Incidents per month by category, and contact strategies in force: "
            f"{labels[0]} to {labels[-1]}"
        ),
    )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _pct(part: int, whole: int) -> str:
    return f"{part} of {whole}" + (f" ({round(100 * part / whole)}%)" if whole else "")


def card_model(report: dict[str, Any]) -> dict[str, Any]:
    """The card's view model: headline facts and sections of plain lines, for both platforms.

    Lines are plain text; each template escapes them for its surface. Members of the
    public appear by case reference only; the equality section is counts only.
    """
    inc = report["incidents"]
    auth = report["authorisations"]
    sars = report["subject_access_requests"]
    eq = report["equality"]
    disputes = report["disputes"]
    sharing = report["sharing"]
    overdue_sars = [r for r in sars["open"] if r["days_left"] < 0]
    strategies = report["strategies_in_force"]
    waited = (
        f", median {auth['median_hours']} h, longest {auth['longest_hours']} h"
        if auth["decided"]
        else ""
    )
    headline = [
        ("Incidents reported", str(inc["total"])),
        ("Violence used or threatened", str(inc["violence"])),
        ("Contact strategies in force", str(len(strategies))),
        ("Reviews overdue", str(len(report["overdue_reviews"]))),
        ("Breaches", str(report["breaches"]["total"])),
        (
            "Disputes",
            f"{disputes['received']} received, {disputes['decided']} decided, "
            f"{disputes['open']} open",
        ),
        (
            "Sharing requests",
            f"{sharing['requested']} ({sharing['approved']} approved, {sharing['denied']} "
            f"denied, {sharing['pending']} waiting); {_n(sharing['disclosures'], 'disclosure')}",
        ),
        ("Subject access requests open", f"{len(sars['open'])} ({len(overdue_sars)} overdue)"),
        ("Authorisations decided", f"{auth['decided']}{waited}; {auth['pending']} waiting"),
    ]
    strategy_lines = [
        f"{s['reference']}: review {date.fromisoformat(s['review_date']):%d %b %Y}, "
        f"owner {s['owner']}"
        + (f", {_n(s['days_overdue'], 'day')} overdue" if s["days_overdue"] else "")
        for s in strategies[:CARD_LIST_LIMIT]
    ]
    if len(strategies) > CARD_LIST_LIMIT:
        strategy_lines.append(f"... and {len(strategies) - CARD_LIST_LIMIT} more in the CSV")
    sar_lines = [
        f"{r['reference']}: due {date.fromisoformat(r['due_on']):%d %b %Y}, "
        + (
            f"{_n(-r['days_left'], 'day')} overdue"
            if r["days_left"] < 0
            else f"{_n(r['days_left'], 'day')} left"
        )
        for r in sars["open"][:CARD_LIST_LIMIT]
    ]
    if len(sars["open"]) > CARD_LIST_LIMIT:
        sar_lines.append(f"... and {len(sars['open']) - CARD_LIST_LIMIT} more in the CSV")
    sections = [
        (
            "Incidents by behaviour category (s3.1, s3.2)",
            [f"{c['label']}: {c['count']}" for c in inc["by_category"]],
        ),
        (
            "Incidents by channel",
            [f"{c['label']}: {c['count']}" for c in inc["by_channel"] if c["count"]] or ["None"],
        ),
        (
            "Contact strategies in force (s7.1)",
            strategy_lines or ["None"],
        ),
        (
            "Dispute outcomes this month (s7.3)",
            [f"{o['label']}: {o['count']}" for o in disputes["outcomes"] if o["count"]] or ["None"],
        ),
        ("Subject access requests open (s9)", sar_lines or ["None"]),
        (
            "Equality monitoring, counts only (s5)",
            [
                "People with a strategy in force who have recorded needs: "
                + _pct(eq["people_restricted_with_needs"], eq["people_restricted"]),
                "People reported in the last 12 months who have recorded needs: "
                + _pct(eq["people_reported_in_year_with_needs"], eq["people_reported_in_year"]),
                "Strategies approved in 12 months, with / without recorded needs: "
                f"{eq['approved_in_year']['with_needs']} / "
                f"{eq['approved_in_year']['without_needs']}",
                "Strategies denied in 12 months, with / without recorded needs: "
                f"{eq['denied_in_year']['with_needs']} / {eq['denied_in_year']['without_needs']}",
            ],
        ),
    ]
    return {
        "month": report["month"],
        "title": f"Oversight report: {report['title']}",
        "as_of": f"{report['as_of'][:10]} {report['as_of'][11:16]}",
        "headline": [{"label": label, "value": value} for label, value in headline],
        "sections": [{"title": title, "lines": lines} for title, lines in sections],
    }


@dataclass(frozen=True)
class Files:
    png: bytes
    csv: bytes


async def files(report: dict[str, Any]) -> Files:
    """The chart (drawn off the event loop: matplotlib is synchronous) and the CSV."""
    png = await asyncio.to_thread(chart, report)
    return Files(png=png, csv=to_csv(report).encode("utf-8"))


async def recipients(session: AsyncSession) -> list[StaffMember]:
    """The authorisers and the admins still in the directory, each once."""
    people: dict[int, StaffMember] = {}
    for role in ("authoriser", "admin"):
        for member in await staff_repo.with_role(session, role=role):
            people.setdefault(member.id, member)
    return sorted(people.values(), key=lambda m: m.id)


async def deliver(uow: Change, *, month: Month) -> int:
    """Queue the card, the chart and the CSV to every recipient; returns how many.

    The bytes are stored once as attachments; each recipient gets three outbox rows.
    Held for office hours, like every reminder.
    """
    ctx = uow.ctx
    report = await figures(uow.session, month=month, now=ctx.now, policy=ctx.policy)
    made = await files(report)
    purpose = f"oversight-report:{month}"
    stored = []
    for filename, mime, content in (
        (f"oversight-report-{month}.png", "image/png", made.png),
        (f"oversight-report-{month}.csv", "text/csv", made.csv),
    ):
        attachment = Attachment(
            purpose=purpose,
            filename=filename,
            mime_type=mime,
            size=len(content),
            content=content,
            created_at=ctx.now,
        )
        uow.add(attachment)
        stored.append(attachment)
    model = card_model(report)
    held = next_opening(ctx.now, ctx.policy)
    people = await recipients(uow.session)
    titles = ("Chart: incidents and strategies, 12 months", "Figures (CSV)")
    for member in people:
        await uow.tell(member, Template.OVERSIGHT_REPORT, model, not_before=held)
        for attachment, title in zip(stored, titles, strict=True):
            await uow.tell(
                member,
                Template.REPORT_FILE,
                {"title": f"{title}, {month}", "comment": "", "month": str(month)},
                kind=OutboxKind.FILE,
                attachment=attachment,
                not_before=held,
            )
    await audit.record(
        uow.session,
        actor=actor_ref(uow.actor),
        action=AuditAction.OVERSIGHT_REPORT_SENT,
        entity_type="oversight_report",
        entity_id=str(month),
        detail={
            "recipients": [m.id for m in people],
            "attachments": [a.id for a in stored],
            "incidents": report["incidents"]["total"],
            "strategies_in_force": len(report["strategies_in_force"]),
        },
        at=ctx.now,
    )
    return len(people)


POLICY = (
    carries(
        "7.1",
        "Monthly oversight report to the authorisers and admins: strategies in force with "
        "review dates and owners, overdue reviews, incidents by category and channel, "
        "breaches, disputes, sharing requests, subject access requests due, how long "
        "authorisations took; a chart and a CSV go with it (`safecontact report`).",
        "tests/test_records_report.py::test_figures_match_the_rows_in_the_database",
        "tests/test_records_report.py::test_the_chart_is_a_real_png",
        "tests/test_records_report.py::test_the_card_validates_on_slack_and_teams",
        "tests/test_records_report.py::test_monthly_job_queues_card_chart_and_csv_and_slack_uploads_them",
    ),
    carries(
        "5",
        "Equality monitoring in the oversight report: strategies and decisions counted against "
        "people with recorded additional needs, counts only (Equality Act 2010).",
        "tests/test_records_report.py::test_figures_match_the_rows_in_the_database",
    ),
    carries(
        "9",
        "Open subject access requests and their due dates are listed in every oversight report "
        "until they are closed.",
        "tests/test_records_report.py::test_figures_match_the_rows_in_the_database",
    ),
)
