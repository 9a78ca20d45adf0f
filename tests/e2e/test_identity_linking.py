"""Identities from email: a directory entry needs only an email; the bot finds the rest.

Slack ids come from users.lookupByEmail on the fake Slack at each directory sync; Teams
ids from the fake Bot Connector's roster when someone first writes to the bot. An id the
file gives must agree with the one found, or the sync refuses with one line naming the
person. `safecontact staff link` shows who can be reached where.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import ops_commands
from bot.server import prepare_database
from bot.settings import StaffEntry
from dialogs.directory import DirectoryRefused
from storage.models import AuditEvent, StaffIdentity, StaffMember
from tests.fake_slack import FakeSlack
from tests.slack_harness import SlackWorld, start_world
from tests.teams_harness import SAM, TENANT, TeamsWorld, conversation, start_teams, visible
from tests.unit.test_settings import CLI, ENV_KEYS

EMAIL_ONLY = [
    StaffEntry(name="Sam Patel", email="sam@example.org", roles=["staff"],
               manager="jo@example.org"),
    StaffEntry(name="Jo Reed", email="jo@example.org", roles=["staff", "manager"]),
    StaffEntry(name="Ada Admin", email="ada@example.org", roles=["admin"]),
    StaffEntry(name="Pat Nowhere", email="pat@example.org", roles=["staff"]),
]  # fmt: skip
SLACK_USERS = {"sam@example.org": "U0SAM", "jo@example.org": "U0JO", "ada@example.org": "U0ADA"}


async def member(world: Any, email: str) -> StaffMember:
    async with world.db.read() as session:
        return (
            await session.execute(select(StaffMember).where(StaffMember.email == email))
        ).scalar_one()


def given_id(email: str, **ids: str) -> list[StaffEntry]:
    """The directory with one person's id given in the file."""
    return [e.model_copy(update=ids) if e.email == email else e for e in EMAIL_ONLY]


def use(world: SlackWorld, entries: list[StaffEntry]) -> None:
    """An edited directory file, for the next start."""
    world.runtime.settings = world.runtime.settings.model_copy(update={"staff": entries})


async def slack_world(db_url: str, entries: list[StaffEntry]) -> tuple[SlackWorld, Any]:
    """A Slack world whose workspace has members for three of the four emails."""
    return await start_world(db_url, fake=FakeSlack(users=dict(SLACK_USERS)), staff=entries)


async def test_slack_ids_are_found_by_email_and_used(fresh_db_url: str) -> None:
    world, stop = await slack_world(fresh_db_url, EMAIL_ONLY)
    try:
        looked_up = {p["email"] for p in world.fake.calls_to("users.lookupByEmail")}
        assert looked_up == {e.email for e in EMAIL_ONLY}
        assert (await member(world, "sam@example.org")).slack_user_id == "U0SAM"
        assert (await member(world, "pat@example.org")).slack_user_id is None
        # Sam, known only by email in the file, reports; Jo's card reaches Jo's found id.
        status, _ = await world.command("U0SAM", "/incident")
        assert status == 200
        view = await world.eventually(lambda: world.fake.calls_to("views.open"), what="form")
        from tests.e2e.test_slack_incident import answers

        status, ack = await world.submit("U0SAM", view[-1]["view"], answers())
        assert ack["response_action"] == "update"
        await world.settle()
        assert world.fake.posts_to("U0JO"), "the manager, found by email, got the card"
        async with world.db.read() as session:
            found = (await session.execute(select(StaffIdentity))).scalars().all()
        assert {(f.platform, f.user_id, f.source) for f in found} == {
            ("slack", "U0SAM", "email"),
            ("slack", "U0JO", "email"),
            ("slack", "U0ADA", "email"),
        }
    finally:
        await stop()


async def test_a_given_id_that_disagrees_refuses_the_sync_naming_the_person(
    fresh_db_url: str,
) -> None:
    world, stop = await slack_world(fresh_db_url, EMAIL_ONLY)
    try:
        wrong = given_id("jo@example.org", slack_user_id="U0OTHER")
        use(world, wrong)
        with pytest.raises(DirectoryRefused) as refused:
            await prepare_database(world.runtime)
        assert refused.value.lines == [
            "staff[1] (Jo Reed, jo@example.org): slack_user_id is U0OTHER in the file, but "
            "Slack gives U0JO for jo@example.org; correct it, or remove it and let the bot "
            "find it"
        ]
        # Someone else's account given to Pat is refused too, naming Pat.
        stolen = given_id("pat@example.org", slack_user_id="U0SAM")
        use(world, stolen)
        with pytest.raises(DirectoryRefused) as refused:
            await prepare_database(world.runtime)
        assert refused.value.lines == [
            "staff[3] (Pat Nowhere, pat@example.org): slack_user_id U0SAM is "
            "sam@example.org's Slack account; correct it, or remove it and let the bot find it"
        ]
        # Nothing changed: Jo keeps the id that was found.
        assert (await member(world, "jo@example.org")).slack_user_id == "U0JO"
        # An id that agrees is fine.
        agreeing = given_id("jo@example.org", slack_user_id="U0JO")
        use(world, agreeing)
        await prepare_database(world.runtime)
    finally:
        await stop()


async def test_slack_unreachable_or_without_the_scope_keeps_the_ids_found_before(
    fresh_db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    world, stop = await slack_world(fresh_db_url, EMAIL_ONLY)
    try:
        world.fake.fail("users.lookupByEmail", status=200, error="missing_scope", times=10)
        caplog.set_level(logging.WARNING, logger="bot.slack.lookup")
        await prepare_database(world.runtime)
        assert "users:read.email" in caplog.text
        assert (await member(world, "sam@example.org")).slack_user_id == "U0SAM"
        # A person whose account is gone (deactivated) loses it at the next sync.
        world.fake.failures.clear()
        del world.fake.users["sam@example.org"]
        await prepare_database(world.runtime)
        assert (await member(world, "sam@example.org")).slack_user_id is None
    finally:
        await stop()


async def test_staff_link_shows_who_is_reachable_where(fresh_db_url: str) -> None:
    world, stop = await slack_world(fresh_db_url, EMAIL_ONLY)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = await ops_commands.staff_link(world.runtime.settings, argparse.Namespace())
        assert code == 0
        text = out.getvalue()
        sam = next(line for line in text.splitlines() if line.startswith("Sam Patel"))
        assert "U0SAM (found by email)" in sam and sam.rstrip().endswith("Slack")
        pat = next(line for line in text.splitlines() if line.startswith("Pat Nowhere"))
        assert "no account found" in pat and pat.rstrip().endswith("NOWHERE")
        assert "1 of 4 cannot be reached on any platform:" in text
        assert "Pat Nowhere (pat@example.org): Slack has no account with this email" in text
    finally:
        await stop()


# -- Teams: the roster ------------------------------------------------------------------


def roster_entry(aad: str, email: str, tenant: str = TENANT) -> dict[str, Any]:
    return {
        "id": f"29:{aad}",
        "name": "Someone",
        "aadObjectId": aad,
        "email": email,
        "userPrincipalName": email,
        "tenantId": tenant,
    }


async def teams_world(db_url: str, entries: list[StaffEntry]) -> tuple[TeamsWorld, Any]:
    return await start_teams(db_url, staff=entries, microsoft_app_tenant_id=TENANT)


async def test_teams_ids_are_linked_from_the_roster_on_first_message(fresh_db_url: str) -> None:
    world, stop = await teams_world(fresh_db_url, EMAIL_ONLY)
    try:
        world.fake.roster[f"29:{SAM}"] = roster_entry(SAM, "Sam@Example.org")
        card = await world.say(SAM, "incident")
        assert "not in safecontact's staff directory" not in visible(card)
        assert (await member(world, "sam@example.org")).teams_user_id == SAM
        assert world.fake.made("member"), "the roster was asked"
        async with world.db.read() as session:
            linked = (
                await session.execute(select(AuditEvent).where(AuditEvent.action == "staff.linked"))
            ).scalar_one()
        assert linked.detail == {"platform": "teams", "source": "roster"}
        # Known by id from now on: the roster is not asked again.
        asked = len(world.fake.made("member"))
        await world.say(SAM, "help")
        assert len(world.fake.made("member")) == asked
        # And it survives the next start, where the file still gives only an email.
        await prepare_database(world.runtime, find_ids=False)
        assert (await member(world, "sam@example.org")).teams_user_id == SAM
    finally:
        await stop()


async def test_installing_the_app_links_the_account_too(fresh_db_url: str) -> None:
    world, stop = await teams_world(fresh_db_url, EMAIL_ONLY)
    try:
        world.fake.roster[f"29:{SAM}"] = roster_entry(SAM, "sam@example.org")
        status, _ = await world.install(SAM)
        assert status in (200, 201)
        greeting = world.fake.seen(conversation(SAM))[-1]
        assert "What I can do" in visible(greeting)
        assert (await member(world, "sam@example.org")).teams_user_id == SAM
    finally:
        await stop()


async def test_another_tenants_account_is_never_linked(fresh_db_url: str) -> None:
    world, stop = await teams_world(fresh_db_url, EMAIL_ONLY)
    try:
        # Another tenant's admin can give an account any email: the roster is not trusted.
        world.fake.roster[f"29:{SAM}"] = roster_entry(SAM, "sam@example.org", "tenant-evil")
        activity = world.activity(SAM, "message", text="incident", textFormat="plain")
        activity["channelData"] = {"tenant": {"id": "tenant-evil"}}
        activity["conversation"]["tenantId"] = "tenant-evil"
        status, _ = await world.post(activity)
        assert status in (200, 201)
        reply = world.fake.replies_in(conversation(SAM))[-1].card
        assert "not in safecontact's staff directory" in visible(reply)
        assert (await member(world, "sam@example.org")).teams_user_id is None
        assert not world.fake.made("member")
    finally:
        await stop()


async def test_a_roster_account_that_disagrees_with_the_file_is_refused(
    fresh_db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    given = given_id("sam@example.org", teams_user_id="aad-old")
    world, stop = await teams_world(fresh_db_url, given)
    try:
        world.fake.roster[f"29:{SAM}"] = roster_entry(SAM, "sam@example.org")
        card = await world.say(SAM, "incident")
        assert "not in safecontact's staff directory" in visible(card)
        assert (await member(world, "sam@example.org")).teams_user_id == "aad-old"
        assert "is not the teams_user_id the directory file gives" in caplog.text
        assert "sam@example.org" not in caplog.text  # staff by number in the log
        with pytest.raises(DirectoryRefused) as refused:
            await prepare_database(world.runtime, find_ids=False)
        assert refused.value.lines == [
            "staff[0] (Sam Patel, sam@example.org): teams_user_id is aad-old in the file, but "
            "Teams gives aad-sam for sam@example.org; correct it, or remove it and let the bot "
            "find it"
        ]
    finally:
        await stop()


async def test_the_cli_refuses_a_disagreeing_directory_with_one_line_and_exit_2(
    fresh_db_url: str, tmp_path: Path
) -> None:
    fake = FakeSlack(users=dict(SLACK_USERS))
    api = await fake.start()
    try:
        config = tmp_path / "safecontact.toml"
        config.write_text(
            '[[staff]]\nname = "Sam Patel"\nemail = "sam@example.org"\n'
            '[[staff]]\nname = "Jo Reed"\nemail = "jo@example.org"\n'
            'slack_user_id = "U0OTHER"\n'
        )
        env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
        env.update(
            SAFECONTACT_CONFIG=str(config),
            DATABASE_URL=fresh_db_url,
            SLACK_BOT_TOKEN=fake.token,
            SLACK_SIGNING_SECRET="0123456789abcdef0123456789abcdef",
            SLACK_API_URL=api,
        )
        proc = await asyncio.create_subprocess_exec(
            str(CLI), "staff", "list", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 2, err
        lines = err.decode().strip().splitlines()
        assert lines == [
            "safecontact: the staff directory was refused: staff[1] (Jo Reed, jo@example.org): "
            "slack_user_id is U0OTHER in the file, but Slack gives U0JO for jo@example.org; "
            "correct it, or remove it and let the bot find it"
        ]
        assert out == b""
    finally:
        await fake.stop()
