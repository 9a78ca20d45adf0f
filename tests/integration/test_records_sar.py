"""Subject access requests (s9): recorded with the ICO's one-month deadline, then closed.

The office must answer within one calendar month; the due date is worked out when the
request is recorded, it shows in every oversight report until the request is closed,
and opening and closing it are both in the audit trail, by case reference only.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import cli, commands
from bot.settings import Settings
from dialogs.records.months import Month
from dialogs.records.report.figures import figures as report_figures
from dialogs.records.sar import due_date
from storage import audit
from storage.db import Database
from storage.models import AuditEvent, Person, SubjectAccessRequest
from tests.backends import both_backends
from tests.dialog_world import make_world


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("SAFECONTACT_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


async def run_cli(settings: Settings, *argv: str) -> int:
    args = cli._parser().parse_args(list(argv))
    return await commands.lookup(args)(settings, args)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-09-01", "2026-10-01"),  # the corresponding date next month
        ("2026-12-15", "2027-01-15"),  # across the year end
        ("2026-03-31", "2026-04-30"),  # no 31 April: the last day of April
        ("2026-09-03", "2026-10-05"),  # 3 October is a Saturday: the Monday after
        ("2027-01-31", "2027-03-01"),  # 28 February 2027 is a Sunday
        ("2026-10-31", "2026-11-30"),  # received on a Saturday still counts from that day
    ],
)
def test_due_date_is_one_calendar_month_off_the_weekend(received: str, due: str) -> None:
    assert due_date(date.fromisoformat(received)) == date.fromisoformat(due)


@both_backends
async def test_open_and_close_through_the_cli_with_audit_events(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await make_world(db)
    now = datetime.now(UTC)
    await world.report(now - timedelta(days=3), new_person_name="Quinn Asker")
    settings = Settings(database_url=fresh_db_url)
    today = now.astimezone(settings.policy.zone).date()
    received = today - timedelta(days=40)

    # Found by name as well as reference, as `case show` does.
    assert await run_cli(settings, "sar", "open", "Quinn", "--received", str(received)) == 0
    out = capsys.readouterr().out
    async with db.read() as s:
        request = (await s.execute(select(SubjectAccessRequest))).scalar_one()
        person = await s.get(Person, request.person_id)
        assert person is not None
        reference = person.reference
    assert request.status == "open" and request.received_on == received
    assert request.due_on == due_date(received)
    assert f"#{request.id} for {reference}" in out and "answer by" in out

    # One open request per person; a date in the future is refused; both change nothing.
    assert await run_cli(settings, "sar", "open", reference) == 1
    assert "already has an open subject access request" in capsys.readouterr().err
    future = str(today + timedelta(days=2))
    assert await run_cli(settings, "sar", "close", reference, "--on", future) == 1
    assert "in the future" in capsys.readouterr().err

    # Listed, overdue, and in the oversight report until it is closed.
    assert await run_cli(settings, "sar", "list") == 0
    listed = capsys.readouterr().out
    assert reference in listed and "OVERDUE" in listed
    async with db.read() as s:
        figures = await report_figures(
            s, month=Month.of(now, settings.policy.zone), now=now, policy=settings.policy
        )
    (shown,) = figures["subject_access_requests"]["open"]
    assert shown["reference"] == reference and shown["days_left"] < 0

    assert await run_cli(settings, "sar", "close", reference) == 0
    assert "so it was late" in capsys.readouterr().out
    assert await run_cli(settings, "sar", "close", "--id", str(request.id)) == 1
    assert "already closed" in capsys.readouterr().err
    assert await run_cli(settings, "sar", "close", "--id", "99999") == 1
    assert await run_cli(settings, "sar", "list") == 0
    assert "No subject access requests are open." in capsys.readouterr().out

    async with db.read() as s:
        closed = await s.get(SubjectAccessRequest, request.id)
        events = (
            (
                await s.execute(
                    select(AuditEvent)
                    .where(AuditEvent.action.in_(("sar.opened", "sar.closed")))
                    .order_by(AuditEvent.seq)
                )
            )
            .scalars()
            .all()
        )
        verdict = await audit.verify(s)
        figures = await report_figures(
            s, month=Month.of(now, settings.policy.zone), now=now, policy=settings.policy
        )
    assert closed is not None and closed.status == "closed" and closed.outcome == "answered"
    assert closed.closed_on == today and closed.closed_by and closed.closed_by.startswith("cli")
    assert [e.action for e in events] == ["sar.opened", "sar.closed"]
    assert events[0].detail == {
        "case": reference,
        "received_on": str(received),
        "due_on": str(due_date(received)),
    }
    assert events[1].detail["late"] is True
    assert "Quinn" not in json.dumps([e.detail for e in events])
    assert verdict.ok
    assert figures["subject_access_requests"]["open"] == []
    assert figures["subject_access_requests"]["closed_late"] == 1
