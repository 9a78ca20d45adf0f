"""`safecontact doctor` against the fakes, in a good set-up and in broken ones.

The good set-up is the whole go-live path: Slack over Socket Mode (fake Slack and its
Socket Mode server), Teams credentials checked against a fake Azure sign-in service,
and the bot's public address answering through a TLS reverse proxy, with the real bot
server behind it. Each broken set-up must print ✗ with advice and exit 1.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import update

from bot import doctor
from bot.runtime import Runtime
from bot.server import create_app
from bot.settings import BackupSettings, Settings, StaffEntry
from dialogs.office import Organisation
from storage.db import Database
from storage.models import AuditEvent, OutboxMessage, ScheduledJob, StaffMember, utcnow
from tests.fake_azure import FakeAzure
from tests.fake_slack import FakeSlack
from tests.fake_socket_mode import FakeSocketMode

APP_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "client-secret-value"
TENANT = "tenant-0001"
BOT_HOST = "bot.safecontact.test"
SIGNING = "0123456789abcdef0123456789abcdef"

OFFICE = [
    StaffEntry(name="Sam Patel", email="sam@example.org", roles=["staff"],
               manager="jo@example.org"),
    StaffEntry(name="Jo Reed", email="jo@example.org", roles=["staff", "manager"]),
    StaffEntry(name="Alex Morgan", email="alex@example.org", roles=["authoriser"]),
    StaffEntry(name="Casey Chief", email="casey@example.org", roles=["chief_executive"]),
    StaffEntry(name="Ada Admin", email="ada@example.org", roles=["admin"]),
]  # fmt: skip
SLACK_IDS = {e.email: f"U0{e.email.split('@')[0].upper()}" for e in OFFICE}


@dataclass
class Office:
    settings: Settings
    slack: FakeSlack
    azure: FakeAzure
    runtime: Runtime


async def report(settings: Settings, **changes: Any) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = await doctor.run(settings.model_copy(update=changes), out=out)
    return code, out.getvalue().splitlines()


def line(lines: list[str], name: str) -> str:
    found = [ln for ln in lines if ln[2:].startswith(f"{name}:")]
    assert len(found) == 1, (name, lines)
    return found[0]


@pytest.fixture
async def office(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Office]:
    """A whole office, live: the bot serving, Slack over Socket Mode, Teams registered."""
    slack = FakeSlack(users=dict(SLACK_IDS))
    api = await slack.start()
    slack.socket = FakeSocketMode()
    await slack.socket.start()
    settings = Settings(
        database_url=fresh_db_url,
        slack_bot_token=slack.token,
        slack_app_token=slack.app_token,
        slack_api_url=api,
        microsoft_app_id=APP_ID,
        microsoft_app_password=SECRET,
        microsoft_app_tenant_id=TENANT,
        microsoft_app_type="SingleTenant",
        bot_domain=BOT_HOST,
        staff=OFFICE,
    )
    runtime = Runtime(settings=settings, db=Database(fresh_db_url))
    runner = web.AppRunner(create_app(settings, runtime=runtime), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await slack.socket.wait_connected()
    azure = FakeAzure(tmp_path, app_id=APP_ID, secret=SECRET, bot_host=BOT_HOST)
    azure.bot_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    await azure.start()
    # As an office's proxy and certificate authority would be set for the server.
    for key, value in azure.environment().items():
        monkeypatch.setenv(key, value)
    try:
        yield Office(settings, slack, azure, runtime)
    finally:
        await azure.stop()
        await runner.cleanup()
        await slack.socket.stop()
        await slack.stop()


async def test_a_good_set_up_is_all_ticks(office: Office) -> None:
    code, lines = await report(office.settings)
    assert code == 0, "\n".join(lines)
    assert lines[-1] == "Everything checked is in order."
    assert not [ln for ln in lines if ln.startswith("✗")]
    assert line(lines, "configuration").endswith("5 people in the directory")
    assert line(lines, "migrations").startswith("✓ migrations: at the head")
    assert "bot U0BOT" not in line(lines, "Slack token")  # the fake's bot is UBOT
    assert line(lines, "Slack token") == "✓ Slack token: works: bot UBOT in team T1"
    assert line(lines, "Slack scopes").startswith("✓")
    assert line(lines, "Slack Socket Mode").startswith("✓")
    assert line(lines, "Slack signing secret") == (
        "- Slack signing secret: not needed in Socket Mode"
    )
    assert line(lines, "Teams credentials") == (
        f"✓ Teams credentials: Azure issued a token for app {APP_ID}"
    )
    assert office.azure.tokens_issued == 1
    assert line(lines, "bot domain") == f"✓ bot domain: https://{BOT_HOST}/healthz reaches this bot"
    assert line(lines, "authorisers") == "✓ authorisers: Alex Morgan"
    assert line(lines, "chief executives") == "✓ chief executives: Casey Chief"
    assert line(lines, "reachable") == "✓ reachable: all 5 people can be messaged"
    assert line(lines, "audit trail").startswith("✓ audit trail: intact:")
    assert line(lines, "backups").startswith("- backups: no [backup] folder set")
    # s7: no policy document configured is a warning, told but not a failure.
    assert line(lines, "policy document").startswith(
        "! policy document: No policy document is configured"
    )
    # Nothing secret is printed.
    text = "\n".join(lines)
    for secret in (SECRET, office.slack.token, office.slack.app_token):
        assert secret not in text


async def test_wrong_credentials_and_addresses_are_each_a_cross(office: Office) -> None:
    office.slack.scopes.remove("users:read.email")
    code, lines = await report(
        office.settings,
        microsoft_app_password=Settings(microsoft_app_password="expired").microsoft_app_password,
        bot_domain="safecontact.example.org",
    )
    assert code == 1
    assert line(lines, "Slack scopes") == (
        "✗ Slack scopes: the token lacks users:read.email; add it under OAuth & Permissions "
        "(or update the app from the manifest) and reinstall the app"
    )
    teams = line(lines, "Teams credentials")
    assert teams.startswith("✗") and "AADSTS7000215: Invalid client secret." in teams
    assert "MICROSOFT_APP_PASSWORD (not expired)" in teams
    assert line(lines, "bot domain").startswith("✗ bot domain: 'safecontact.example.org' is not")
    assert lines[-1] == "3 problems found."

    office.slack.app_token = "xapp-1-revoked"
    office.slack.token = "xoxb-revoked"
    code, lines = await report(office.settings)
    assert code == 1
    assert line(lines, "Slack token").startswith(
        "✗ Slack token: Slack refused the bot token (invalid_auth)"
    )


async def test_http_mode_needs_a_real_signing_secret(office: Office) -> None:
    secret = Settings(slack_signing_secret="not-the-secret").slack_signing_secret
    code, lines = await report(office.settings, slack_app_token=None, slack_signing_secret=secret)
    assert code == 1
    assert line(lines, "Slack Socket Mode").startswith("- Slack Socket Mode: off")
    assert line(lines, "Slack signing secret").startswith(
        "✗ Slack signing secret: does not look like one (32 hexadecimal characters)"
    )
    good = Settings(slack_signing_secret=SIGNING).slack_signing_secret
    code, lines = await report(office.settings, slack_app_token=None, slack_signing_secret=good)
    assert line(lines, "Slack signing secret").startswith("✓")


async def test_what_the_database_holds_is_checked(office: Office) -> None:
    db = office.runtime.db
    now = utcnow()
    async with db.write() as session:
        ada = (
            await session.execute(
                StaffMember.__table__.select().where(StaffMember.email == "ada@example.org")
            )
        ).one()
        session.add(
            OutboxMessage(
                recipient_id=ada.id, template="notice", model={}, status="failed", created_at=now
            )
        )
        session.add(
            ScheduledJob(
                key="welfare-followup:test",
                kind="welfare_followup",
                due_at=now - timedelta(hours=3),
                payload={},
            )
        )
    code, lines = await report(office.settings)
    assert code == 1
    assert line(lines, "outbox").startswith("✗ outbox: 1 messages failed in the last 7 days")
    assert line(lines, "jobs").startswith("✗ jobs: 1 reminders are overdue")
    assert "is `safecontact serve` running?" in line(lines, "jobs")
    # The audit trail changed behind the application's back.
    async with db.write() as session:
        await session.execute(update(AuditEvent).where(AuditEvent.seq == 1).values(actor="x"))
    code, lines = await report(office.settings)
    assert line(lines, "audit trail").startswith(
        "✗ audit trail: BROKEN: rewritten event: event 1 ("
    )
    # Where the key is, and that it is backed up apart (docs/security.md, "Audit trail").
    assert "keep a copy apart from the database's backups" in line(lines, "audit key")


async def test_a_directory_missing_roles_or_people_it_cannot_reach(office: Office) -> None:
    # The file now lacks an authoriser and a chief executive, and names someone Slack
    # does not know; the database still holds the old copy until the next start.
    staff = [e for e in OFFICE if e.roles[0] not in ("authoriser", "chief_executive")]
    staff.append(StaffEntry(name="Nia New", email="nia@example.org", roles=["staff"]))
    code, lines = await report(office.settings, staff=staff)
    assert line(lines, "directory").startswith(
        "✗ directory: the database holds an older copy of the directory file"
    )
    from bot.server import prepare_database

    office.runtime.settings = office.settings.model_copy(update={"staff": staff})
    await prepare_database(office.runtime)
    code, lines = await report(office.settings, staff=staff)
    assert code == 1
    assert line(lines, "authorisers").startswith(
        "✗ authorisers: none: nobody can authorise a contact strategy (s7)"
    )
    assert line(lines, "chief executives").startswith("✗ chief executives: none:")
    assert line(lines, "reachable") == (
        "✗ reachable: 1 of 4 cannot be messaged on any platform (Nia New); "
        "`safecontact staff link` says why for each"
    )


async def test_a_database_not_migrated_or_not_there(tmp_path: Path) -> None:
    empty = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'new.db'}", staff=OFFICE)
    code, lines = await report(empty)
    assert line(lines, "database") == (
        f"✗ database: there is no database at {tmp_path / 'new.db'}; check DATABASE_URL "
        "(serve creates it at its first start)"
    )
    assert not (tmp_path / "new.db").exists(), "the doctor creates nothing"
    (tmp_path / "new.db").touch()
    code, lines = await report(empty)
    assert code == 1
    assert line(lines, "migrations") == (
        "✗ migrations: the database has no tables yet; run `safecontact db upgrade`"
    )
    assert line(lines, "audit trail").startswith("- audit trail: not checked")
    assert line(lines, "chat platform").startswith("✗ chat platform: neither Slack nor Teams")
    gone = Settings(database_url="postgresql+asyncpg://nobody:pw@127.0.0.1:1/none", staff=OFFICE)
    code, lines = await report(gone)
    assert line(lines, "database").startswith("✗ database: cannot reach postgresql+asyncpg://")
    assert "pw" not in line(lines, "database")
    nobody = Settings(database_url=empty.database_url)
    code, lines = await report(nobody)
    assert line(lines, "configuration").startswith("✗ configuration:")
    assert "the staff directory is empty" in line(lines, "configuration")


async def test_backups_that_stopped_are_a_cross(office: Office, tmp_path: Path) -> None:
    folder = tmp_path / "nightly"
    code, lines = await report(office.settings, backup=BackupSettings(folder=str(folder)))
    assert line(lines, "backups").startswith(f"✗ backups: {folder} does not exist")
    folder.mkdir()
    (folder / "safecontact-20200101-0230.db").write_bytes(b"old")
    code, lines = await report(office.settings, backup=BackupSettings(folder=str(folder)))
    assert "no nightly copy" in line(lines, "backups")


async def test_the_policy_document_line(
    office: Office, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """s7: "A copy of this policy will be provided"; serve warned at start that none is,
    nor any office address for the letters to give (s7.2)."""
    started = [r.getMessage() for r in caplog.get_records("setup") if r.name == "bot.server"]
    assert any("No policy document is configured" in m for m in started), started
    assert any("No postal address is configured for the office" in m for m in started)
    code, lines = await report(office.settings)
    assert line(lines, "letterhead") == (
        "! letterhead: No postal address is configured for the office "
        "(organisation.address): letters will print no address to write to, nor any phone "
        "number or email."
    )
    policy = tmp_path / "policy.pdf"
    policy.write_bytes(b"%PDF-1.7 the policy")
    org = Organisation(
        policy_document_file=str(policy),
        policy_url="https://example.org/p",
        address="1 High Street\nTown",
    )
    code, lines = await report(office.settings, organisation=org)
    assert code == 0, "\n".join(lines)
    assert not any(x.startswith("! letterhead") for x in lines)
    assert line(lines, "policy document") == (
        f"✓ policy document: {policy} is enclosed with strategy letters; "
        "https://example.org/p is linked from strategy letters"
    )
    policy.unlink()  # moved away since the settings were read
    code, lines = await report(office.settings, organisation=org)
    assert code == 1
    assert line(lines, "policy document") == (
        f"✗ policy document: {policy} is configured but is not there"
    )
