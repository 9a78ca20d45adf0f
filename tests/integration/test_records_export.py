"""Subject access export (s9): everything held about a person, nothing about anyone else.

The export is what the office sends a member of the public who asks for their data. It
must hold every kind of record on their case, must never hold a member of staff's welfare
answers (Appendix A), must name staff only by role, must show what people wrote as text
(never as markup), and must itself be recorded in the audit trail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import cli, commands
from bot.settings import Settings
from cards.records import render_export_html
from dialogs.records import export, export_view, redact
from storage import audit
from storage.db import Database
from storage.models import AuditEvent, ContactLog, Person, SubjectAccessRequest
from tests.backends import both_backends
from tests.dialog_world import make_world
from tests.records_seed import HOSTILE, WELFARE_STEP, full_history
from tests.slack_harness import DIRECTORY

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 7, 14, 10, 0, tzinfo=ZONE)


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("SAFECONTACT_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def keys(value: Any) -> set[str]:
    """Every key at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def assert_no_staff_names(text: str) -> None:
    lowered = text.lower()
    for entry in DIRECTORY:
        assert entry.name.lower() not in lowered, entry.name
        assert entry.email.lower() not in lowered, entry.email


async def export_of(db: Database, person_id: int) -> redact.Export:
    async with db.read() as s:
        person = await s.get(Person, person_id)
        assert person is not None
        gathered = await export.gather(s, person=person, zone=ZONE)
    return redact.redact(gathered, generated=NOW, zone=ZONE)


@both_backends
async def test_export_holds_every_kind_of_record_and_no_welfare_data(db: Database) -> None:
    world = await make_world(db)
    seeded = await full_history(world, NOW)
    await world.report(NOW, new_person_name="Other Person", what_happened="OTHER-PERSON-INCIDENT")

    made = await export_of(db, seeded.person_id)
    data = made.data

    # Every kind of record the case holds, each section non-empty.
    for key, *_ in redact.SECTIONS:
        assert data[key], f"the export has no {key}"
        assert made.counts[key] == len(data[key])
    assert data["export"]["reference"] == seeded.reference
    assert data["person"]["additional_needs"] == "Dyslexia"  # s5: needs are theirs
    assert data["contact_strategies"][0]["restrictions"][0]["kind"] == "call_limit"
    decisions = {a["kind"]: a for a in data["authorisations"]}
    assert set(decisions) == {"strategy", "sharing"}  # strategy and sharing decisions
    assert decisions["sharing"]["decision_reason"] == "Safeguarding: legitimate"
    assert decisions["sharing"]["status"] == "approved"
    assert data["sharing_requests"][0]["disclosures"][0]["note"] == "Sent by secure email"
    assert data["police_referrals"][0]["police_reference"] == "WK-55"
    assert data["disputes"][0]["outcome"] == "upheld"
    assert data["reviews"][0]["outcome"] == "continued"
    letters = {letter["kind"]: letter for letter in data["letters"]}
    assert set(letters) == {"warning", "strategy"}
    assert all(len(letter["text"]) > 200 for letter in letters.values())  # the words sent
    # Each with its sending record (issue 14): none recorded as sent in this history.
    assert all(
        {"sent_on", "sent_method", "sent_by", "sent_recorded"} <= set(letter)
        for letter in letters.values()
    )

    dumped = json.dumps(data, ensure_ascii=False)
    assert "OTHER-PERSON-INCIDENT" not in dumped  # nobody else's case
    # No welfare data: no welfare field at any depth, and not the answers' content.
    assert not {k for k in keys(data) if "welfare" in k or "checkin" in k or "privacy" in k}
    assert WELFARE_STEP not in dumped
    # Staff by role only, in the fields and in free text.
    assert_no_staff_names(dumped)
    assert data["incidents"][0]["reported_by"] == "member of staff"
    assert data["incidents"][0]["acknowledged_by"] is None
    assert data["warnings"][0]["recorded_by"] == "manager"
    assert decisions["strategy"]["decided_by"] == "authoriser"
    assert data["disputes"][0]["decided_by"] == "Chief Executive"
    what = data["incidents"][0]["what_happened"]
    assert what.startswith("Said [manager] would regret it; copied [authoriser].")
    assert HOSTILE in what  # kept as written in the data; escaped on the page


def test_a_staff_field_the_export_does_not_know_is_refused() -> None:
    """A new "..._by" field in the case file must be taught to the export, not leak a name."""
    gathered = redact.Gathered(
        person=Person(reference="SC-2026-00001", name="X"),
        record={
            "time_zone": "Europe/London",
            "person": {"reference": "SC-2026-00001", "name": "X"},
            **{key: [] for key, *_ in redact.SECTIONS},
        },
        staff=[],
    )
    gathered.record["incidents"] = [{"id": 1, "escalated_by": "Jo Reed"}]
    with pytest.raises(ValueError, match="escalated_by"):
        redact.redact(gathered, generated=NOW, zone=ZONE)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@both_backends
async def test_export_html_escapes_text_and_shows_roles_not_names(db: Database) -> None:
    world = await make_world(db)
    seeded = await full_history(world, NOW, name="Morgan <i>Example</i>")
    made = await export_of(db, seeded.person_id)
    page = render_export_html(
        export_view.readable(made.data), export_view.sections(), organisation="The OPCC"
    )

    # What people wrote is shown as text: no tag from the data reaches the page.
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>" not in page and "<b>bold" not in page and "<i>Example" not in page
    parsed = _Tags()
    parsed.feed(page)
    assert not {"script", "b", "i"} & set(parsed.tags)
    shown = "".join(parsed.text)
    assert HOSTILE in shown  # the browser shows it exactly as written
    assert "Morgan <i>Example</i>" in shown
    # Readable: every section has a heading, the letters their text, staff their roles.
    for _, title, *_ in redact.SECTIONS:
        assert title in shown
    assert "We will review these arrangements" in shown  # the strategy letter's words
    assert "not recorded as sent" in shown  # each letter with its sending record
    assert "Chief Executive" in shown and "authoriser" in shown
    # Stored ids read in the policy's words (data.json keeps the ids).
    assert "Abuse, derogatory, discriminatory or defamatory remarks" in shown
    assert "Limit the length of phone calls" in shown and "call_limit" not in shown
    assert made.data["incidents"][0]["behaviours"] == ["abuse", "demand_updates"]
    assert_no_staff_names(page)
    assert "welfare" not in shown.lower().replace("records about staff welfare", "")


async def run_cli(settings: Settings, *argv: str) -> int:
    """The real parser and command table, in this process (so one test runs on both DBs)."""
    args = cli._parser().parse_args(list(argv))
    return await commands.lookup(args)(settings, args)


@both_backends
async def test_export_through_the_cli_writes_files_and_an_audit_event(
    db: Database, fresh_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await make_world(db)
    seeded = await full_history(world, NOW)
    settings = Settings(database_url=fresh_db_url)
    assert await run_cli(settings, "sar", "open", seeded.reference) == 0
    out = tmp_path / "sar-export"

    assert await run_cli(settings, "export-person", seeded.reference, "--out", str(out)) == 0
    printed = capsys.readouterr()
    assert f"for {seeded.reference}" in printed.out
    assert "exporting" not in printed.err  # a small export needs no progress bar
    data = json.loads((out / "data.json").read_text(encoding="utf-8"))
    assert data["export"]["reference"] == seeded.reference
    assert data["incidents"] and data["letters"]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and seeded.reference in page

    async with db.read() as s:
        events = (
            (await s.execute(select(AuditEvent).where(AuditEvent.action == "person.exported")))
            .scalars()
            .all()
        )
        request = (await s.execute(select(SubjectAccessRequest))).scalar_one()
        verdict = await audit.verify(s)
    assert len(events) == 1
    assert events[0].detail == {
        "case": seeded.reference,
        "records": sum(data["export"]["records"].values()),
        "subject_access_request": request.id,
    }
    assert "Morgan" not in json.dumps(events[0].detail)  # references, never a name
    assert verdict.ok

    # A second run would overwrite the first: refused unless asked, and nothing recorded.
    assert await run_cli(settings, "export-person", seeded.reference, "--out", str(out)) == 1
    assert "already holds an export" in capsys.readouterr().err
    assert await run_cli(settings, "export-person", "SC-1999-99999", "--out", str(out)) == 1
    async with db.read() as s:
        count = len(
            (await s.execute(select(AuditEvent).where(AuditEvent.action == "person.exported")))
            .scalars()
            .all()
        )
    assert count == 1


async def test_a_large_export_shows_a_progress_bar(
    db: Database, fresh_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = await make_world(db)
    seeded = await full_history(world, NOW)
    async with db.write() as s:
        s.add_all(
            ContactLog(
                person_id=seeded.person_id,
                strategy_id=seeded.strategy_id,
                channel="email",
                summary=f"Email number {n}",
                logged_by_id=world.who("sam").id,
                occurred_at=NOW.astimezone(UTC),
            )
            for n in range(export.LARGE_EXPORT)
        )
    settings = Settings(database_url=fresh_db_url)
    code = await run_cli(settings, "export-person", seeded.reference, "--out", str(tmp_path / "x"))
    assert code == 0
    err = capsys.readouterr().err
    data = json.loads((tmp_path / "x" / "data.json").read_text(encoding="utf-8"))
    total = sum(data["export"]["records"].values())
    assert total > export.LARGE_EXPORT
    assert "exporting" in err and f"{total}/{total}" in err
