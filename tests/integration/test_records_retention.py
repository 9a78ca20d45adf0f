"""Retention (s9, UK GDPR Art. 5(1)(e)): what is past its time goes, and only that.

A purge must change nothing on a dry run; for real it must anonymise exactly the cases
past six years and delete exactly the welfare answers past twelve months, keep every
other row as it was, hold back a case with an open subject access request, record one
audit event, and leave the audit trail verifiable.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import cli, commands
from bot.scheduler import run_due
from bot.settings import Settings
from dialogs.change import Change
from dialogs.context import Ctx
from dialogs.jobs.payloads import JobKind
from dialogs.records import jobs as records_jobs
from dialogs.records import retention, retention_rules, sar
from dialogs.records.months import Month, months_before, years_before
from storage import audit
from storage.db import Database
from storage.models import (
    AuditEvent,
    Authorisation,
    Breach,
    ContactLog,
    ContactStrategy,
    Disclosure,
    Dispute,
    FurtherAction,
    Incident,
    Letter,
    Matter,
    OutboxMessage,
    Person,
    PoliceReferral,
    Restriction,
    Review,
    ScheduledJob,
    SharingRequest,
    Warning,
    WelfareCheckIn,
)
from tests.backends import both_backends
from tests.dialog_world import World, make_world
from tests.records_seed import full_history, snapshot

YEAR = timedelta(days=365)


@pytest.fixture(autouse=True)
def no_ambient_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("SAFECONTACT_CONFIG", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


async def run_cli(settings: Settings, *argv: str) -> int:
    args = cli._parser().parse_args(list(argv))
    return await commands.lookup(args)(settings, args)


class Cases:
    """Five people whose dates put them either side of the retention rules."""

    def __init__(self, world: World, now: datetime) -> None:
        self.world = world
        self.now = now

    async def end(self, strategy_id: int, at: datetime) -> None:
        """As a review ending it would (dialogs/review.py): status ended, with the time."""
        async with self.world.db.write() as s:
            strategy = await s.get(ContactStrategy, strategy_id)
            assert strategy is not None
            strategy.status, strategy.ended_at = "ended", at
            # Audited, as the review is, so the row stays in its last audited state.
            await audit.record(
                s,
                actor="system",
                action="strategy.reviewed",
                entity_type="contact_strategy",
                entity=strategy,
                at=at,
            )

    async def seed(self) -> None:
        w, now = self.world, self.now
        # Expired: everything on the case happened seven years ago, the strategy ended then.
        self.old = await full_history(w, now - 7 * YEAR, name="Olive Oldcase")
        await self.end(self.old.strategy_id, now - 7 * YEAR)
        # Kept: active two hundred days ago; their reporter's check-in is under a year old.
        self.recent = await full_history(w, now - 200 * timedelta(days=1), name="Rita Recent")
        # Kept: incidents eight years ago, but the strategy only ended five years ago.
        self.ended = await full_history(w, now - 8 * YEAR, name="Enid Ended")
        await self.end(self.ended.strategy_id, now - 5 * YEAR)
        # Kept: old incidents, but the strategy is still in force.
        self.live = await full_history(w, now - 7 * YEAR, name="Liam Live")
        # Past its time, but a subject access request is open: held back.
        self.asked = await full_history(w, now - 7 * YEAR, name="Sara Asked")
        await self.end(self.asked.strategy_id, now - 7 * YEAR)
        async with w.db.write() as s:
            person = await s.get(Person, self.asked.person_id)
            assert person is not None
            await sar.open_request(
                Change(s, w.ctx(now), "test"), person=person, received_on=now.date()
            )
        # A welfare check-in of thirteen months on a case that is kept: the check-in goes.
        self.welfare_incident = await w.report(
            now - 395 * timedelta(days=1), new_person_name="Walt"
        )


async def case_rows(db: Database, person_id: int) -> dict[str, set[int]]:
    """The ids of every row on one case, table by table."""
    async with db.read() as s:

        async def ids(stmt: Any) -> set[int]:
            return set((await s.execute(stmt)).scalars())

        strategies = await ids(
            select(ContactStrategy.id).where(ContactStrategy.person_id == person_id)
        )
        sharing = await ids(select(SharingRequest.id).where(SharingRequest.person_id == person_id))
        return {
            "people": {person_id},
            "incidents": await ids(select(Incident.id).where(Incident.person_id == person_id)),
            "warnings": await ids(select(Warning.id).where(Warning.person_id == person_id)),
            "police_referrals": await ids(
                select(PoliceReferral.id).where(PoliceReferral.person_id == person_id)
            ),
            "contact_strategies": strategies,
            "restrictions": await ids(
                select(Restriction.id).where(Restriction.strategy_id.in_(strategies))
            ),
            "authorisations": await ids(
                select(Authorisation.id).where(
                    Authorisation.strategy_id.in_(strategies)
                    | Authorisation.sharing_request_id.in_(sharing)
                )
            ),
            "breaches": await ids(select(Breach.id).where(Breach.strategy_id.in_(strategies))),
            "reviews": await ids(select(Review.id).where(Review.strategy_id.in_(strategies))),
            "disputes": await ids(select(Dispute.id).where(Dispute.strategy_id.in_(strategies))),
            "contact_logs": await ids(
                select(ContactLog.id).where(ContactLog.person_id == person_id)
            ),
            "further_actions": await ids(
                select(FurtherAction.id).where(FurtherAction.person_id == person_id)
            ),
            "matters": await ids(select(Matter.id).where(Matter.person_id == person_id)),
            "sharing_requests": sharing,
            "disclosures": await ids(
                select(Disclosure.id).where(Disclosure.sharing_request_id.in_(sharing))
            ),
            "letters": await ids(select(Letter.id).where(Letter.person_id == person_id)),
        }


def by_pk(rows: list[tuple[Any, ...]]) -> dict[Any, tuple[Any, ...]]:
    return {row[0]: row for row in rows}


def diff(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> dict[str, dict[str, set]]:
    out: dict[str, dict[str, set]] = {}
    for table in before:
        b, a = by_pk(before[table]), by_pk(after[table])
        found = {
            "changed": {k for k in b.keys() & a.keys() if b[k] != a[k]},
            "deleted": set(b) - set(a),
            "added": set(a) - set(b),
        }
        if any(found.values()):
            out[table] = found
    return out


@both_backends
async def test_a_dry_run_changes_nothing(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    cases = Cases(await make_world(db), now)
    await cases.seed()
    before = await snapshot(db)

    assert (
        await run_cli(Settings(database_url=fresh_db_url), "retention", "purge", "--dry-run") == 0
    )

    assert await snapshot(db) == before  # not a row, not an audit event
    out = capsys.readouterr().out
    assert f"  {cases.old.reference}: last activity" in out  # it says what it would do
    assert "anonymise 1 incidents, 1 warnings" in out and "delete 2 letters" in out
    assert f"{cases.asked.reference}: past its retention period but kept" in out
    for kept in (cases.recent, cases.ended, cases.live):
        assert kept.reference not in out
    assert "Dry run: nothing was changed." in out


@both_backends
async def test_purge_removes_exactly_the_expired_data_and_audit_still_verifies(
    db: Database, fresh_db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    cases = Cases(await make_world(db), now)
    await cases.seed()
    expired = await case_rows(db, cases.old.person_id)
    async with db.read() as s:
        old_welfare = set(
            (
                await s.execute(
                    select(WelfareCheckIn.id).where(
                        WelfareCheckIn.created_at < now - timedelta(days=366)
                    )
                )
            ).scalars()
        )
        young_welfare = set(
            (
                await s.execute(
                    select(WelfareCheckIn.id).where(
                        WelfareCheckIn.created_at > now - timedelta(days=360)
                    )
                )
            ).scalars()
        )
        messages = (await s.execute(select(OutboxMessage))).scalars().all()
        about_old = {
            m.id
            for m in messages
            if cases.old.reference in json.dumps(m.model) or m.letter_id in expired["letters"]
        }
        old_welfare_messages = {
            m.id
            for m in messages
            if m.template in retention_rules.WELFARE_TEMPLATES
            and m.created_at < now - timedelta(days=366)
        }
    assert about_old and old_welfare and young_welfare and old_welfare_messages
    before = await snapshot(db)

    assert await run_cli(Settings(database_url=fresh_db_url), "retention", "purge") == 0
    assert "Done: 1 cases anonymised" in capsys.readouterr().out

    after = await snapshot(db)
    changes = diff(before, after)
    # Rows changed: the expired case's, and the audit chain's head.
    for table, found in changes.items():
        if table == "audit_head":
            continue
        if table == "audit_events":
            assert found["added"] and not found["changed"] and not found["deleted"]
            continue
        assert not found["added"], table
        allowed = expired.get(table, set())
        assert found["changed"] <= allowed, (table, found["changed"] - allowed)
        if table == "letters":
            assert found["deleted"] == expired["letters"]
        elif table == "welfare_checkins":
            assert found["deleted"] == old_welfare
        elif table == "outbox_messages":
            assert found["deleted"] == about_old | old_welfare_messages
        else:
            assert not found["deleted"], table
    # Every row on the expired case that holds personal text was anonymised.
    for table in ("people", "incidents", "warnings", "police_referrals", "contact_strategies"):
        assert changes[table]["changed"] == expired[table], table
    for table in (
        "breaches",
        "reviews",
        "disputes",
        "contact_logs",
        "further_actions",
        "matters",
        "sharing_requests",
    ):
        assert changes[table]["changed"] == expired[table], table

    async with db.read() as s:
        person = await s.get(Person, cases.old.person_id)
        assert person is not None
        assert person.name == retention_rules.ANONYMISED_NAME and person.anonymised_at is not None
        assert person.reference == cases.old.reference  # the audit trail still resolves it
        assert person.additional_needs == ""
        incident = await s.get(Incident, cases.old.incident_id)
        assert incident is not None
        assert incident.what_happened == retention_rules.REMOVED and incident.known_needs == ""
        # The facts the oversight report counts stay.
        assert incident.behaviours == ["abuse", "demand_updates"] and incident.violence
        strategy = await s.get(ContactStrategy, cases.old.strategy_id)
        assert strategy is not None and strategy.reasons == retention_rules.REMOVED
        assert set(strategy.criteria) == {
            "addressed", "communication", "access", "misunderstandings", "proportionate"
        } and not any(strategy.criteria.values())  # fmt: skip
        remaining = (await s.execute(select(OutboxMessage))).scalars().all()
        assert not [m for m in remaining if "Olive" in json.dumps(m.model)]
        for kept, name in ((cases.recent, "Rita Recent"), (cases.asked, "Sara Asked")):
            person = await s.get(Person, kept.person_id)
            assert person is not None and person.name == name
        events = (
            (await s.execute(select(AuditEvent).where(AuditEvent.action == "retention.purged")))
            .scalars()
            .all()
        )
        assert len(events) == 1
        detail = events[0].detail
        assert detail["cases"] == [cases.old.reference]
        assert detail["held_by_subject_access_request"] == [cases.asked.reference]
        assert detail["letters_deleted"] == len(expired["letters"])
        assert detail["welfare_checkins_deleted"] == len(old_welfare)
        assert "Olive" not in json.dumps(detail)
        assert (await audit.verify(s)).ok
    # The operator's own check, through the command line.
    assert await run_cli(Settings(database_url=fresh_db_url), "audit", "verify") == 0
    assert "audit trail intact" in capsys.readouterr().out

    # A second purge finds nothing new (only its own audit event).
    assert await run_cli(Settings(database_url=fresh_db_url), "retention", "purge") == 0
    assert "No case is past its retention period." in capsys.readouterr().out


@both_backends
async def test_an_open_subject_access_request_holds_the_purge_back(db: Database) -> None:
    now = datetime.now(UTC)
    world = await make_world(db)
    seeded = await full_history(world, now - 7 * YEAR, name="Sara Asked")
    await Cases(world, now).end(seeded.strategy_id, now - 7 * YEAR)
    async with db.write() as s:
        person = await s.get(Person, seeded.person_id)
        assert person is not None
        await sar.open_request(
            Change(s, world.ctx(now), "t"), person=person, received_on=now.date()
        )
        planned = await retention.purge(Change(s, world.ctx(now), "t"))
    assert planned.people == () and planned.held_by_request == (seeded.reference,)
    async with db.write() as s:
        person = await s.get(Person, seeded.person_id)
        assert person is not None and person.anonymised_at is None
        await sar.close_request(Change(s, world.ctx(now), "t"), person=person, closed_on=now.date())
        planned = await retention.purge(Change(s, world.ctx(now), "t"))
    assert [p.reference for p in planned.people] == [seeded.reference]
    async with db.read() as s:
        person = await s.get(Person, seeded.person_id)
        assert person is not None and person.anonymised_at is not None


def test_retention_periods_are_calendar_years_and_months() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/London")
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=zone)
    assert years_before(leap, 6, zone) == datetime(2022, 2, 28, 12, 0, tzinfo=zone)
    assert months_before(datetime(2026, 3, 31, tzinfo=zone), 13, zone) == datetime(
        2025, 2, 28, tzinfo=zone
    )
    assert months_before(datetime(2026, 1, 15, tzinfo=zone), 12, zone) == datetime(
        2025, 1, 15, tzinfo=zone
    )


@both_backends
async def test_the_monthly_jobs_are_stored_once_and_run_the_purge(db: Database) -> None:
    now = datetime.now(UTC)
    world = await make_world(db)
    old = await full_history(world, now - 7 * YEAR, name="Olive Oldcase")
    await Cases(world, now).end(old.strategy_id, now - 7 * YEAR)
    policy = world.settings.policy
    zone = policy.zone
    ctx = Ctx(db=db, organisation=world.settings.organisation, policy=policy, now=now)
    async with db.write() as s:
        first = await records_jobs.ensure_recurring_jobs(Change(s, ctx, "system"))
        again = await records_jobs.ensure_recurring_jobs(Change(s, ctx, "system"))
    this = Month.of(now, zone)
    nxt = this.shift(1)
    assert first == [f"retention-purge:{nxt}", f"oversight-report:{this}"]
    assert again == []  # idempotent: one job per month however often it is called

    # The 1st of next month at 03:00: the purge is due (02:00), the report not yet (07:00).
    at = datetime.combine(nxt.start(zone).date(), datetime.min.time(), tzinfo=zone) + timedelta(
        hours=3
    )
    runs = {r.kind: r for r in await run_due(world.runtime(), at=at)}
    assert runs[JobKind.RETENTION_PURGE].outcome == "done"
    assert "anonymised 1 cases" in runs[JobKind.RETENTION_PURGE].summary
    assert JobKind.OVERSIGHT_REPORT not in runs
    async with db.read() as s:
        person = await s.get(Person, old.person_id)
        assert person is not None and person.anonymised_at is not None
        keys = set((await s.execute(select(ScheduledJob.key))).scalars())
    # The chain carries on: next month's purge and this month's report are stored.
    assert {f"retention-purge:{nxt.shift(1)}", f"oversight-report:{nxt}"} <= keys
    # Run again at the same moment: nothing of ours is due twice.
    assert JobKind.RETENTION_PURGE not in {r.kind for r in await run_due(world.runtime(), at=at)}
