"""The oversight report as people read it: the card, the CSV and the chart (s7.1, s5, s9).

Pure functions of the figures (`figures.figures`), no database. Lines are plain text;
each card template escapes them for its surface. Members of the public appear by case
reference only; the equality section is counts only.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.records import incidents_chart
from cards.text import csv_cell

# How many strategies and requests the card lists by name; the CSV has every one.
CARD_LIST_LIMIT = 10

Row = list[Any]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _pct(part: int, whole: int) -> str:
    return f"{part} of {whole}" + (f" ({round(100 * part / whole)}%)" if whole else "")


def _counted(section: str, rows: list[dict[str, Any]], key: str = "label") -> Iterator[Row]:
    return ([section, row[key], row["count"], ""] for row in rows)


def _strategy_rows(report: dict[str, Any]) -> Iterator[Row]:
    for s in report["strategies_in_force"]:
        detail = [f"owner {s['owner']}", *s["restrictions"]]
        if s["days_overdue"]:
            detail.append(f"review {plural(s['days_overdue'], 'day')} overdue")
        yield ["strategy in force", s["reference"], s["review_date"], "; ".join(detail)]
    yield ["strategies", "in force", len(report["strategies_in_force"]), ""]
    yield ["strategies", "reviews overdue", len(report["overdue_reviews"]), ""]


def _police_rows(police: list[dict[str, Any]]) -> Iterator[Row]:
    for r in police:
        yield ["police report still to make", r["reference"], r["reported_on"], _open_for(r)]
    yield ["police reports (s6)", "still to make at month end", len(police), ""]


def _open_for(r: dict[str, Any]) -> str:
    return f"open {plural(r['days_open'], 'day')}"


def _police_line(r: dict[str, Any]) -> str:
    return (
        f"{r['reference']}: reported {date.fromisoformat(r['reported_on']):%d %b %Y}, "
        f"{_open_for(r)}"
    )


def _incident_rows(inc: dict[str, Any]) -> Iterator[Row]:
    yield ["incidents", "total", inc["total"], ""]
    yield ["incidents", "violence used or threatened", inc["violence"], ""]
    yield from _counted("incidents by category", inc["by_category"])
    yield from _counted("incidents by behaviour", inc["by_behaviour"])
    yield from _counted("incidents by channel", inc["by_channel"])


def _breach_and_dispute_rows(breaches: dict[str, Any], disputes: dict[str, Any]) -> Iterator[Row]:
    yield ["breaches", "total", breaches["total"], ""]
    yield from _counted("breaches by case", breaches["by_case"], key="reference")
    for key in ("received", "decided", "open"):
        yield ["disputes", key, disputes[key], ""]
    yield from _counted("dispute outcomes", disputes["outcomes"])


def _sar_rows(sars: dict[str, Any]) -> Iterator[Row]:
    for r in sars["open"]:
        left = f"received {r['received_on']}; {plural(r['days_left'], 'day')} left"
        yield ["subject access request open", r["reference"], r["due_on"], left]
    yield ["subject access requests", "open", len(sars["open"]), ""]
    yield ["subject access requests", "closed", sars["closed"], ""]
    yield ["subject access requests", "closed late", sars["closed_late"], ""]


def _authorisation_rows(auth: dict[str, Any]) -> Iterator[Row]:
    for key in ("decided", "median_hours", "longest_hours", "pending", "oldest_pending_hours"):
        value = "" if auth[key] is None else auth[key]
        yield ["authorisations", key.replace("_", " "), value, ""]
    for row in auth["by_kind"]:
        median = f"median {row['median_hours']} h"
        yield ["authorisations by kind", row["kind"], row["decided"], median]


def _equality_rows(equality: dict[str, Any]) -> Iterator[Row]:
    for key, value in equality.items():
        if isinstance(value, dict):
            for sub, n in value.items():
                yield ["equality monitoring", f"{key} {sub}".replace("_", " "), n, ""]
        else:
            yield ["equality monitoring", key.replace("_", " "), value, ""]


def _series_rows(series: dict[str, Any]) -> Iterator[Row]:
    for i, month in enumerate(series["months"]):
        for label, counts in series["categories"].items():
            yield ["incidents per month", f"{month} {label}", counts[i], ""]
        in_force = series["strategies_in_force"][i]
        yield ["strategies in force per month", month, in_force, "month end"]


def csv_rows(report: dict[str, Any]) -> Iterator[Row]:
    """Every figure as a section,item,value,detail row."""
    yield ["section", "item", "value", "detail"]
    as_at = f"as at {report['as_of']} ({report['time_zone']})"
    yield ["report", "month", report["month"], as_at]
    yield from _strategy_rows(report)
    yield from _incident_rows(report["incidents"])
    yield from _police_rows(report.get("police_referrals_open", []))
    yield from _breach_and_dispute_rows(report["breaches"], report["disputes"])
    for key, value in report["sharing"].items():
        yield ["sharing with partner agencies", key, value, ""]
    yield from _sar_rows(report["subject_access_requests"])
    yield from _authorisation_rows(report["authorisations"])
    yield from _equality_rows(report["equality"])
    yield from _series_rows(report["series"])


def to_csv(report: dict[str, Any]) -> str:
    """Every figure as CSV: for a spreadsheet or an auditor."""
    out = io.StringIO()
    # Each cell through csv_cell: no formula a spreadsheet would run (cards/text.py).
    rows = ([csv_cell(cell) for cell in row] for row in csv_rows(report))
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


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


def headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The facts at the top of the card, as (label, value)."""
    inc, auth = report["incidents"], report["authorisations"]
    disputes, sharing = report["disputes"], report["sharing"]
    open_sars = report["subject_access_requests"]["open"]
    overdue_sars = sum(1 for r in open_sars if r["days_left"] < 0)
    waited = (
        f", median {auth['median_hours']} h, longest {auth['longest_hours']} h"
        if auth["decided"]
        else ""
    )
    return [
        ("Incidents reported", str(inc["total"])),
        ("Violence used or threatened", str(inc["violence"])),
        ("Police reports to make (s6)", str(len(report.get("police_referrals_open", [])))),
        ("Contact strategies in force", str(len(report["strategies_in_force"]))),
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
            f"denied, {sharing['pending']} waiting); "
            + plural(sharing["disclosures"], "disclosure"),
        ),
        ("Subject access requests open", f"{len(open_sars)} ({overdue_sars} overdue)"),
        ("Authorisations decided", f"{auth['decided']}{waited}; {auth['pending']} waiting"),
    ]


def _first(lines: list[str], total: int) -> list[str]:
    """The lines the card lists by name, then how many more the CSV has."""
    more = total - CARD_LIST_LIMIT
    return lines[:CARD_LIST_LIMIT] + ([f"... and {more} more in the CSV"] if more > 0 else [])


def _strategy_line(s: dict[str, Any]) -> str:
    overdue = f", {plural(s['days_overdue'], 'day')} overdue" if s["days_overdue"] else ""
    review = date.fromisoformat(s["review_date"])
    return f"{s['reference']}: review {review:%d %b %Y}, owner {s['owner']}{overdue}"


def _sar_line(r: dict[str, Any]) -> str:
    left = r["days_left"]
    when = f"{plural(-left, 'day')} overdue" if left < 0 else f"{plural(left, 'day')} left"
    return f"{r['reference']}: due {date.fromisoformat(r['due_on']):%d %b %Y}, {when}"


def _equality_lines(eq: dict[str, Any]) -> list[str]:
    approved, denied = eq["approved_in_year"], eq["denied_in_year"]
    return [
        "People with a strategy in force who have recorded needs: "
        + _pct(eq["people_restricted_with_needs"], eq["people_restricted"]),
        "People reported in the last 12 months who have recorded needs: "
        + _pct(eq["people_reported_in_year_with_needs"], eq["people_reported_in_year"]),
        "Strategies approved in 12 months, with / without recorded needs: "
        f"{approved['with_needs']} / {approved['without_needs']}",
        "Strategies denied in 12 months, with / without recorded needs: "
        f"{denied['with_needs']} / {denied['without_needs']}",
    ]


def sections(report: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The card's sections, each a title and its plain lines."""
    inc, disputes = report["incidents"], report["disputes"]
    strategies = report["strategies_in_force"]
    open_sars = report["subject_access_requests"]["open"]
    police = report.get("police_referrals_open", [])
    return [
        (
            "Incidents by behaviour category (s3.1, s3.2)",
            [f"{c['label']}: {c['count']}" for c in inc["by_category"]],
        ),
        (
            "Incidents by channel",
            [f"{c['label']}: {c['count']}" for c in inc["by_channel"] if c["count"]]
            or ["No incidents"],
        ),
        (
            "Police reports still to make at month end (s6)",
            _first([_police_line(r) for r in police], len(police)) or ["None outstanding"],
        ),
        (
            "Contact strategies in force (s7.1)",
            _first([_strategy_line(s) for s in strategies], len(strategies)) or ["None in force"],
        ),
        (
            "Dispute outcomes this month (s7.3)",
            [f"{o['label']}: {o['count']}" for o in disputes["outcomes"] if o["count"]]
            or ["None decided"],
        ),
        (
            "Subject access requests open (s9)",
            _first([_sar_line(r) for r in open_sars], len(open_sars)) or ["None open"],
        ),
        ("Equality monitoring, counts only (s5)", _equality_lines(report["equality"])),
    ]


def card_model(report: dict[str, Any]) -> dict[str, Any]:
    """The card's view model: headline facts and sections of plain lines, for both platforms."""
    return {
        "month": report["month"],
        "title": f"Oversight report: {report['title']}",
        "as_of": f"{report['as_of'][:10]} {report['as_of'][11:16]}",
        "headline": [{"label": label, "value": value} for label, value in headline(report)],
        "sections": [{"title": title, "lines": lines} for title, lines in sections(report)],
    }


@dataclass(frozen=True)
class Files:
    png: bytes
    csv: bytes


async def files(report: dict[str, Any]) -> Files:
    """The chart (drawn off the event loop: matplotlib is synchronous) and the CSV."""
    png = await asyncio.to_thread(chart, report)
    return Files(png=png, csv=to_csv(report).encode("utf-8"))
