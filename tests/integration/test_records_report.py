"""The monthly oversight report (s7.1, s5, s9): right figures, a real chart, valid cards.

The database is seeded row by row with a month whose every figure is worked out by hand
below, including rows just outside the month, so a figure that counted the wrong rows
fails. The card must validate on Slack and Teams and show what people wrote literally;
the monthly job must reach the authorisers and admins with the chart and CSV uploaded.
"""

from __future__ import annotations

import csv
import io
import json
import struct
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft6Validator
from sqlalchemy import select, update

from bot import cli, commands
from bot.scheduler import run_due
from bot.settings import Settings
from cards.render import render
from dialogs.jobs.payloads import JobKind
from dialogs.office import PolicySettings
from dialogs.records.months import Month
from dialogs.records.report import view
from dialogs.records.report.figures import figures
from storage import audit
from storage.db import Database
from storage.models import (
    Attachment,
    AuditEvent,
    Authorisation,
    Breach,
    ContactStrategy,
    Disclosure,
    Dispute,
    Incident,
    OutboxMessage,
    Person,
    PoliceReferral,
    SharingRequest,
    StaffMember,
    SubjectAccessRequest,
    utcnow,
)
from tests.backends import both_backends
from tests.dialog_world import make_world
from tests.e2e.test_slack_incident import assert_valid_message
from tests.slack_harness import SlackWorld

LONDON = ZoneInfo("Europe/London")
MONTH = Month(2026, 11)
NOW = datetime(2026, 12, 15, 12, 0, tzinfo=LONDON)
CARD_SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "adaptive-card-1.5.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NAMES = ("Nadia Needs", "Pat Plain", "Ola Other", "Rhys Reported", "Dee December")


def at(day: str, hh: int = 10, mm: int = 0) -> datetime:
    y, m, d = (int(x) for x in day.split("-"))
    return datetime(y, m, d, hh, mm, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("SAFECONTACT_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


async def seed_month(db: Database) -> dict[str, str]:
    """November 2026, with rows either side of it. Returns the people's references."""
    world = await make_world(db)
    jo, alex, sam = world.who("jo"), world.who("alex"), world.who("sam")
    async with db.write() as s:
        people = [
            Person(reference=f"SC-2026-0000{n}", name=name, additional_needs=needs)
            for n, (name, needs) in enumerate(
                zip(NAMES, ("Deaf; uses BSL", "", "  ", "Autism", ""), strict=True), start=1
            )
        ]
        s.add_all(people)
        await s.flush()
        p1, p2, p3, p4, p5 = people

        def incident(p: Person, when: datetime, channel: str, behaviours: list[str], **kw: Any):
            return Incident(
                person_id=p.id,
                reporter_id=sam.id,
                occurred_at=when,
                channel=channel,
                behaviours=behaviours,
                what_happened="x",
                actions_taken=[],
                self_check={},
                **kw,
            )

        s.add_all(
            [
                incident(p1, at("2026-11-03"), "telephone", ["abuse", "demand_updates"],
                         violence=True),
                incident(p2, at("2026-11-10"), "email", ["harassment"]),
                incident(p3, at("2026-11-30", 23, 50), "email", ["timescales"]),
                incident(p4, at("2026-10-15"), "in_person", ["abuse"]),  # October
                incident(p5, at("2026-12-01", 0, 10), "letter", ["volume"]),  # December
                incident(p4, at("2025-11-20"), "email", ["abuse"]),  # before the 12 months
            ]
        )  # fmt: skip

        def strategy(p: Person, proposer: StaffMember, **kw: Any) -> ContactStrategy:
            return ContactStrategy(person_id=p.id, proposer_id=proposer.id, reasons="r", **kw)

        s1 = strategy(p1, jo, status="active", activated_at=at("2026-09-01"),
                      review_date=date(2026, 11, 20))  # fmt: skip
        s2 = strategy(p2, alex, status="active", activated_at=at("2026-11-05"),
                      review_date=date(2027, 2, 1))  # fmt: skip
        s3 = strategy(p3, jo, status="ended", activated_at=at("2026-06-01"),
                      ended_at=at("2026-11-15"), review_date=date(2026, 9, 1))  # fmt: skip
        s4 = strategy(p3, jo, status="denied", review_date=date(2027, 1, 1))
        s5 = strategy(p5, jo, status="active", activated_at=at("2026-12-02"),
                      review_date=date(2027, 3, 1))  # fmt: skip
        s.add_all([s1, s2, s3, s4, s5])
        await s.flush()
        r1 = SharingRequest(person_id=p2.id, agency="NHS", what="w", reason_kind="safeguarding",
                            requested_by_id=jo.id, created_at=at("2026-11-20"))  # fmt: skip
        r2 = SharingRequest(person_id=p1.id, agency="NHS", what="w", reason_kind="risk_to_life",
                            requested_by_id=jo.id, created_at=at("2026-11-25"))  # fmt: skip
        r0 = SharingRequest(person_id=p1.id, agency="NHS", what="w", reason_kind="safeguarding",
                            requested_by_id=jo.id, created_at=at("2026-10-02"))  # fmt: skip
        s.add_all([r0, r1, r2])
        await s.flush()

        def auth(kind: str, created: datetime, decided: datetime | None, status: str, **kw: Any):
            decider = None if decided is None else alex.id
            return Authorisation(kind=kind, requested_by_id=jo.id, status=status,
                                 created_at=created, decided_at=decided,
                                 decided_by_id=decider, **kw)  # fmt: skip

        def disclosed(request: SharingRequest, when: datetime) -> Disclosure:
            return Disclosure(sharing_request_id=request.id, disclosed_by_id=jo.id,
                              disclosed_at=when)  # fmt: skip

        s.add_all(
            [
                auth("strategy", at("2026-08-30"), at("2026-09-01"), "approved",
                     strategy_id=s1.id),
                auth("strategy", at("2026-11-03", 9), at("2026-11-05", 9), "approved",
                     strategy_id=s2.id),
                auth("strategy", at("2026-11-10", 12), at("2026-11-12", 0), "denied",
                     strategy_id=s4.id),
                auth("sharing", at("2026-11-20", 10), at("2026-11-20", 16), "approved",
                     sharing_request_id=r1.id),
                auth("sharing", at("2026-11-25", 10), None, "pending", sharing_request_id=r2.id),
                auth("strategy", at("2026-11-28"), at("2026-12-02"), "approved",
                     strategy_id=s5.id),
                auth("sharing", at("2026-10-02"), at("2026-10-03"), "approved",
                     sharing_request_id=r0.id),
                disclosed(r1, at("2026-11-21")),
                disclosed(r0, at("2026-10-05")),  # October
            ]
        )  # fmt: skip

        def breach(strategy: ContactStrategy, when: datetime) -> Breach:
            return Breach(strategy_id=strategy.id, occurred_at=when, channel="telephone",
                          description="d", recorded_by_id=sam.id)  # fmt: skip

        s.add_all(
            [
                breach(s1, at("2026-11-10")),
                breach(s1, at("2026-11-12")),
                breach(s2, at("2026-11-20")),
                breach(s1, at("2026-10-30")),  # October
            ]
        )

        def dispute(strategy: ContactStrategy, received: str, **kw: Any) -> Dispute:
            return Dispute(strategy_id=strategy.id, received_on=date.fromisoformat(received),
                           grounds="g", recorded_by_id=sam.id,
                           created_at=at(received), **kw)  # fmt: skip

        s.add_all(
            [
                dispute(s1, "2026-11-02", outcome="upheld", decided_at=at("2026-11-20")),
                dispute(s2, "2026-11-25"),
                dispute(s3, "2026-10-01", outcome="different", decided_at=at("2026-11-05")),
            ]
        )

        def sar(p: Person, received: str, due: str, closed: str | None = None) -> Any:
            return SubjectAccessRequest(
                person_id=p.id, received_on=date.fromisoformat(received),
                due_on=date.fromisoformat(due), status="closed" if closed else "open",
                opened_by="t", closed_on=date.fromisoformat(closed) if closed else None,
                outcome="answered" if closed else None)  # fmt: skip

        s.add_all(
            [
                sar(p1, "2026-10-20", "2026-11-20"),
                sar(p2, "2026-11-25", "2026-12-25"),
                sar(p3, "2026-10-01", "2026-11-02", closed="2026-11-10"),
                sar(p4, "2026-11-01", "2026-12-01", closed="2026-12-03"),
            ]
        )
        refs = {p.name: p.reference for p in people}
    return refs


async def figures_of(db: Database, now: datetime = NOW) -> dict[str, Any]:
    async with db.read() as s:
        return await figures(s, month=MONTH, now=now, policy=PolicySettings())


@both_backends
async def test_figures_match_the_rows_in_the_database(db: Database) -> None:
    refs = await seed_month(db)
    p1, p2, p3, p4, _ = (refs[n] for n in NAMES)
    f = await figures_of(db)

    assert f["month"] == "2026-11" and f["as_of"] == "2026-12-01T00:00+00:00"
    # Strategies in force at the month's end, with review dates and owners.
    assert [(s["reference"], s["review_date"], s["owner"], s["days_overdue"])
            for s in f["strategies_in_force"]] == [
        (p1, "2026-11-20", "Jo Reed", 10),
        (p2, "2027-02-01", "Alex Morgan", 0),
    ]  # fmt: skip
    assert [s["reference"] for s in f["overdue_reviews"]] == [p1]
    assert f["strategies_in_force"][0]["restrictions"] == []
    # Incidents in November only: by category (one incident can show two), and by channel.
    inc = f["incidents"]
    assert inc["total"] == 3 and inc["violence"] == 1
    assert [c["count"] for c in inc["by_category"]] == [2, 1, 1]
    assert {c["label"]: c["count"] for c in inc["by_channel"] if c["count"]} == {
        "Telephone": 1,
        "Email": 2,
    }
    assert {b["label"]: b["count"] for b in inc["by_behaviour"]} == {
        "Abuse, derogatory, discriminatory or defamatory remarks": 1,
        "Persistently calling, writing or emailing to demand updates": 1,
        "Harassment, intimidation or threats": 1,
        "Demanding replies too soon, or insisting on a particular member of staff": 1,
    }
    assert f["breaches"] == {
        "total": 3,
        "by_case": [{"reference": p1, "count": 2}, {"reference": p2, "count": 1}],
    }
    assert f["disputes"] == {
        "received": 2,
        "decided": 2,
        "outcomes": [
            {"label": "The restricted contact arrangements still apply", "count": 1},
            {"label": "A different course of action", "count": 1},
        ],
        "open": 1,
    }
    assert f["sharing"] == {
        "requested": 2,
        "approved": 1,
        "denied": 0,
        "pending": 1,
        "disclosures": 1,
    }
    sars = f["subject_access_requests"]
    assert [(r["reference"], r["due_on"], r["days_left"]) for r in sars["open"]] == [
        (p1, "2026-11-20", -10),
        (p4, "2026-12-01", 1),  # closed in December: still open at the end of November
        (p2, "2026-12-25", 25),
    ]
    assert sars["closed"] == 1 and sars["closed_late"] == 1
    auth = f["authorisations"]
    assert (auth["decided"], auth["median_hours"], auth["longest_hours"]) == (3, 36.0, 48.0)
    assert auth["by_kind"] == [
        {"kind": "sharing", "decided": 1, "median_hours": 6.0},
        {"kind": "strategy", "decided": 2, "median_hours": 42.0},
    ]
    assert auth["pending"] == 2 and auth["oldest_pending_hours"] == 134.0
    assert f["equality"] == {
        "strategies_in_force": 2,
        "strategies_in_force_with_needs": 1,  # "  " is not a recorded need
        "people_restricted": 2,
        "people_restricted_with_needs": 1,
        "people_reported_in_year": 4,
        "people_reported_in_year_with_needs": 2,
        "approved_in_year": {"with_needs": 1, "without_needs": 1},
        "denied_in_year": {"with_needs": 0, "without_needs": 1},
    }
    series = f["series"]
    assert series["months"][0] == "2025-12" and series["months"][-1] == "2026-11"
    assert series["categories"]["Unacceptable behaviour (s3.1)"][-2:] == [1, 2]
    assert sum(series["categories"]["Unacceptable behaviour (s3.1)"]) == 3  # not Nov 2025
    assert series["strategies_in_force"] == [0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2]

    # Members of the public by reference only; the CSV says the same as the figures.
    text = view.to_csv(f)
    for name in NAMES:
        assert name not in json.dumps(f) and name not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "item", "value", "detail"]
    assert ["incidents", "total", "3", ""] in rows
    assert ["strategy in force", p1, "2026-11-20", "owner Jo Reed; review 10 days overdue"] in rows
    assert ["equality monitoring", "people restricted with needs", "1", ""] in rows
    assert ["subject access requests", "closed late", "1", ""] in rows
    assert ["strategies in force per month", "2026-09", "2", "month end"] in rows

    # Mid-month, the month so far: on 4 November the strategy that starts on the 5th is not
    # yet in force, and the one that ends on the 15th still is.
    early = await figures_of(db, now=at("2026-11-04"))
    assert [s["reference"] for s in early["strategies_in_force"]] == [p3, p1]
    assert early["incidents"]["total"] == 1


@both_backends
async def test_police_reports_still_to_make_are_as_they_stood_at_the_month_end(
    db: Database,
) -> None:
    """s6: each report of violence with neither the referral nor an authoriser's reason
    recorded by the month's end, however old, and nothing recorded after it counts."""
    world = await make_world(db)
    sam, jo, bea = world.who("sam"), world.who("jo"), world.who("bea")
    async with db.write() as s:
        people = [Person(reference=f"SC-2026-0010{n}", name=f"P{n}") for n in range(5)]
        s.add_all(people)
        await s.flush()

        def violent(p: Person, reported: datetime, **kw: Any) -> Incident:
            return Incident(person_id=p.id, reporter_id=sam.id, occurred_at=reported,
                            created_at=reported, channel="in_person", behaviours=["abuse"],
                            what_happened="x", actions_taken=[], self_check={}, violence=True,
                            **kw)  # fmt: skip

        open_old = violent(people[0], at("2026-08-04"))  # open for months: listed
        referred = violent(people[1], at("2026-11-03"))  # referred in November: not
        late = violent(people[2], at("2026-11-10"))  # referred in December: still open then
        decided = violent(people[3], at("2026-11-12"), police_not_referred_reason="Why.",
                          police_not_referred_by_id=bea.id,
                          police_not_referred_at=at("2026-11-20"))  # fmt: skip
        after = violent(people[4], at("2026-12-02"))  # after the month: not yet
        s.add_all([open_old, referred, late, decided, after])
        await s.flush()
        for incident, on_day in ((referred, "2026-11-05"), (late, "2026-12-03")):
            s.add(PoliceReferral(person_id=incident.person_id, incident_id=incident.id,
                                 referred_on=date.fromisoformat(on_day), police_reference="R",
                                 recorded_by_id=jo.id, created_at=at(on_day)))  # fmt: skip
    f = await figures_of(db)
    assert f["police_referrals_open"] == [
        {"reference": "SC-2026-00100", "reported_on": "2026-08-04", "days_open": 118},
        {"reference": "SC-2026-00102", "reported_on": "2026-11-10", "days_open": 20},
    ]
    card = view.card_model(f)
    assert {"label": "Police reports to make (s6)", "value": "2"} in card["headline"]
    (section,) = [x for x in card["sections"] if x["title"].startswith("Police reports")]
    assert section["lines"] == [
        "SC-2026-00100: reported 04 Aug 2026, open 118 days",
        "SC-2026-00102: reported 10 Nov 2026, open 20 days",
    ]
    rows = list(csv.reader(io.StringIO(view.to_csv(f))))
    assert ["police report still to make", "SC-2026-00102", "2026-11-10", "open 20 days"] in rows
    assert ["police reports (s6)", "still to make at month end", "2", ""] in rows


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


@both_backends
async def test_the_chart_is_a_real_png(db: Database, tmp_path: Path) -> None:
    await seed_month(db)
    png = view.chart(await figures_of(db))
    assert len(png) > 10_000  # bars, a line, labels: not an empty canvas
    assert png_size(png) == (1000, 500)
    assert png.endswith(b"IEND\xaeB`\x82")  # complete, not cut short
    # An office with nothing to report still gets a valid chart.
    nothing = {
        "months": ["2026-11"],
        "labels": ["Nov 2026"],
        "categories": {"Unacceptable behaviour (s3.1)": [0]},
        "strategies_in_force": [0],
    }
    empty = view.chart({"series": nothing})
    assert png_size(empty) == (1000, 500)


def slack_valid(payload: dict[str, Any]) -> None:
    assert_valid_message(payload)
    for block in payload["blocks"]:
        if block["type"] == "section" and "fields" in block:
            assert len(block["fields"]) <= 10


@pytest.fixture(scope="module")
def card_validator() -> Draft6Validator:
    if not CARD_SCHEMA.exists():
        pytest.skip(f"the Adaptive Card 1.5 schema is not at {CARD_SCHEMA} (../shared absent)")
    return Draft6Validator(json.loads(CARD_SCHEMA.read_text(encoding="utf-8")))


@both_backends
async def test_the_card_validates_on_slack_and_teams(db: Database) -> None:
    refs = await seed_month(db)
    model = view.card_model(await figures_of(db))
    hostile = "<!channel> <at>All</at> **x** [y](https://e.example)"
    crowded = view.card_model(
        await figures_of(db)
        | {
            "strategies_in_force": [
                {"reference": f"SC-2026-{n:05d}", "review_date": "2027-01-01", "owner": hostile,
                 "restrictions": [], "days_overdue": n % 2}
                for n in range(25)
            ]
        }
    )  # fmt: skip
    for m in (model, crowded):
        slack = render("slack", "oversight_report", m)
        slack_valid(slack)
        blob = json.dumps(slack)
        assert "Oversight report: November 2026" in blob
        assert refs["Nadia Needs"] in json.dumps(render("slack", "oversight_report", model))
        for name in NAMES:
            assert name not in blob
    crowded_slack = json.dumps(render("slack", "oversight_report", crowded))
    assert "<!channel>" not in crowded_slack and "&lt;!channel&gt;" in crowded_slack
    assert "... and 15 more in the CSV" in crowded_slack
    facts = {f["label"]: f["value"] for f in model["headline"]}
    assert facts["Incidents reported"] == "3" and facts["Reviews overdue"] == "1"
    assert facts["Subject access requests open"] == "3 (1 overdue)"


@both_backends
async def test_the_teams_card_validates_against_the_schema(
    db: Database, card_validator: Draft6Validator
) -> None:
    await seed_month(db)
    model = view.card_model(await figures_of(db))
    hostile = "<at>All</at> **x** [y](https://e.example)"
    model["sections"][2]["lines"].append(hostile)
    card = render("teams", "oversight_report", model)
    errors = sorted(card_validator.iter_errors(card), key=str)
    assert not errors, [e.message[:300] for e in errors[:3]]
    raw = json.dumps(card)
    assert "**x**" not in raw and "[y](https" not in raw  # shown literally, not as markup
    assert card["fallbackText"].startswith("Oversight report: November 2026")


async def run_cli(settings: Settings, *argv: str) -> int:
    args = cli._parser().parse_args(list(argv))
    return await commands.lookup(args)(settings, args)


@both_backends
async def test_report_command_prints_and_writes_the_files(
    db: Database, fresh_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refs = await seed_month(db)
    out = tmp_path / "november"
    settings = Settings(database_url=fresh_db_url)
    assert await run_cli(settings, "report", "--month", "2026-11", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    # The command reports as at now (or the month's end, once it is over).
    expected = await figures_of(db, now=datetime.now(UTC))
    assert "Oversight report: November 2026" in printed
    assert f"{refs['Nadia Needs']}: review 20 Nov 2026, owner Jo Reed" in printed
    assert f"Incidents reported            {expected['incidents']['total']}\n" in printed
    assert png_size((out / "chart.png").read_bytes()) == (1000, 500)
    written = json.loads((out / "report.json").read_text())
    assert written["incidents"] == expected["incidents"]
    assert written["equality"] == expected["equality"]
    assert (out / "report.csv").read_text().startswith("section,item,value,detail\n")
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["report", "--month", "2026-13"])
    assert "is not a month" in capsys.readouterr().err

    # --send queues it now to the authorisers (Alex, Bea) and the admin (Ada), and audits it.
    assert await run_cli(settings, "report", "--month", "2026-11", "--send") == 0
    assert "queued for 3 authorisers and admins" in capsys.readouterr().out
    async with db.read() as s:
        queued = (await s.execute(select(OutboxMessage))).scalars().all()
        recipients = {
            (await s.get(StaffMember, m.recipient_id)).email  # type: ignore[union-attr]
            for m in queued
        }
        event = (
            await s.execute(select(AuditEvent).where(AuditEvent.action == "oversight_report.sent"))
        ).scalar_one()
    assert recipients == {"alex@example.org", "bea@example.org", "ada@example.org"}
    assert sorted(m.kind for m in queued) == ["file"] * 6 + ["message"] * 3
    assert event.actor.startswith("cli") and event.entity_id == "2026-11"


@both_backends
async def test_monthly_job_queues_card_chart_and_csv_and_slack_uploads_them(
    slack: SlackWorld,
) -> None:
    zone = slack.runtime.settings.policy.zone
    this = Month.of(datetime.now(UTC), zone)
    # The server stored this month's report job when it started; run it on the 1st.
    first = datetime.combine(this.shift(1).start(zone).date(), datetime.min.time(), tzinfo=zone)
    runs = {r.kind: r for r in await run_due(slack.runtime, at=first + timedelta(hours=8))}
    assert runs[JobKind.OVERSIGHT_REPORT].outcome == "done", runs
    assert "queued for 3 people" in runs[JobKind.OVERSIGHT_REPORT].summary
    # Held for office hours; let the office open now.
    async with slack.db.write() as s:
        await s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(next_attempt_at=utcnow())
        )
    slack.runtime.outbox_wakeup.set()
    await slack.settle()

    async with slack.db.read() as s:
        attachments = {a.filename: a for a in (await s.execute(select(Attachment))).scalars()}
        sent = (await s.execute(select(OutboxMessage))).scalars().all()
        event = (
            await s.execute(select(AuditEvent).where(AuditEvent.action == "oversight_report.sent"))
        ).scalar_one()
        assert (await audit.verify(s)).ok
    png = attachments[f"oversight-report-{this}.png"]
    table = attachments[f"oversight-report-{this}.csv"]
    assert png.mime_type == "image/png" and png_size(png.content) == (1000, 500)
    assert table.content.startswith(b"section,item,value,detail")
    assert all(m.status == "sent" for m in sent)
    assert len(event.detail["recipients"]) == 3

    # The authorisers (Alex, Bea) and the admin (Ada): the card, then both files.
    for user in ("U0ALEX", "U0BEA", "U0ADA"):
        (card,) = [p for p in slack.fake.posts_to(user) if "Oversight report" in p["text"]]
        slack_valid(card)
    uploads = slack.fake.calls_to("files.completeUploadExternal")
    assert sorted(u["channel_id"] for u in uploads) == sorted(["D0ALEX", "D0BEA", "D0ADA"] * 2)
    uploaded = list(slack.fake.uploads.values())
    assert uploaded.count(png.content) == 3 and uploaded.count(table.content) == 3
    # Nobody else hears of it.
    others = {p["channel"] for p in slack.fake.calls_to("chat.postMessage")}
    assert others == {"D0ALEX", "D0BEA", "D0ADA"}
