"""Real `safecontact serve` processes: several replicas, and a server killed mid-delivery.

These start the CLI as a user would, against one database and a fake Slack on loopback,
and check what arrived: every job once, every message once, nothing lost.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.settings import Settings
from storage import jobs as jobs_repo
from storage import outbox
from storage import staff as staff_repo
from storage.db import Database
from storage.models import OutboxMessage, ScheduledJob, StaffMember, WelfareCheckIn, utcnow
from tests.backends import both_backends
from tests.fake_slack import FakeSlack, dm
from tests.slack_harness import DIRECTORY, SECRET

CONFIG = """
scheduler_interval_seconds = 0.2
outbox_poll_seconds = 0.1
outbox_lease_seconds = 2

[policy]
# Open all hours, so reminders are not held while the test waits.
office_hours_start = "00:00"
office_hours_end = "23:59"
working_days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""


def _staff_toml() -> str:
    out = []
    for e in DIRECTORY:
        out.append("[[staff]]")
        out.append(f'name = "{e.name}"')
        out.append(f'email = "{e.email}"')
        out.append(f"roles = {list(e.roles)!r}".replace("'", '"'))
        if e.manager:
            out.append(f'manager = "{e.manager}"')
        if e.slack_user_id:
            out.append(f'slack_user_id = "{e.slack_user_id}"')
        out.append("")
    return "\n".join(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    async def ready(self) -> None:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise AssertionError(f"serve exited with {self.proc.returncode}")
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("serve did not come up")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    slack = FakeSlack()
    await slack.start()
    yield slack
    await slack.stop()


def _env(tmp_path: Path, db_url: str, fake: FakeSlack) -> dict[str, str]:
    config = tmp_path / "safecontact.toml"
    config.write_text(CONFIG + "\n" + _staff_toml())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    env.update(
        DATABASE_URL=db_url,
        SAFECONTACT_CONFIG=str(config),
        SLACK_BOT_TOKEN=fake.token,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=f"{fake.base_url}/api/",
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    return env


async def _seed_directory(db: Database) -> dict[str, StaffMember]:
    settings = Settings(database_url=str(db.url), staff=DIRECTORY)
    async with db.write() as session:
        await staff_repo.sync_directory(session, entries=settings.staff)
    async with db.read() as session:
        return {m.email.split("@")[0]: m for m in await staff_repo.list_staff(session)}


def _posted_outbox_ids(fake: FakeSlack) -> Counter[int]:
    return Counter(
        p["metadata"]["event_payload"]["outbox_id"]
        for p in fake.calls_to("chat.postMessage")
        if p.get("metadata")
    )


async def _wait(check, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


@pytest.mark.parametrize("fresh_db_url", ["postgresql"], indirect=True)
async def test_two_serve_replicas_run_every_job_and_send_every_message_once(
    db: Database, fresh_db_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    staff = await _seed_directory(db)
    total = 200
    async with db.write() as session:
        for n in range(total):
            await jobs_repo.schedule(
                session,
                key=f"followup:{n}",
                kind="welfare_followup",
                due_at=utcnow(),
                payload={"staff_id": staff["sam"].id},
            )
    env = _env(tmp_path, fresh_db_url, fake)
    servers = [Server(env, tmp_path / f"serve{i}.log") for i in range(2)]
    try:
        await asyncio.gather(*(s.ready() for s in servers))

        async def finished() -> bool:
            async with db.read() as session:
                left = (
                    await session.execute(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status != "sent")
                    )
                ).scalar_one()
                done = (
                    await session.execute(
                        select(func.count())
                        .select_from(ScheduledJob)
                        .where(ScheduledJob.status == "done")
                    )
                ).scalar_one()
            return done == total and left == 0

        await _wait(finished)
    finally:
        for s in servers:
            s.stop()
    async with db.read() as session:
        checkins = (
            await session.execute(select(func.count()).select_from(WelfareCheckIn))
        ).scalar_one()
        workers = (
            await session.execute(select(func.count(func.distinct(ScheduledJob.claimed_by))))
        ).scalar_one()
    assert checkins == total  # each job ran exactly once
    posted = _posted_outbox_ids(fake)
    assert len(posted) == total and set(posted.values()) == {1}  # each message sent once
    assert all(p["channel"] == dm("U0SAM") for p in fake.calls_to("chat.postMessage"))
    assert workers >= 1


@both_backends
async def test_kill_9_mid_delivery_then_restart_delivers_everything_once(
    db: Database, fresh_db_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    staff = await _seed_directory(db)
    total = 60
    async with db.write() as session:
        for n in range(total):
            await outbox.enqueue(
                session,
                recipient_id=staff["jo"].id,
                template="talk_request",
                model={"staff_name": f"Colleague {n}"},
            )
    fake.delays["chat.postMessage"] = 0.3
    env = _env(tmp_path, fresh_db_url, fake)
    first = Server(env, tmp_path / "first.log")
    try:
        await first.ready()

        async def some_posted() -> bool:
            return len(fake.calls_to("chat.postMessage")) >= 5

        await _wait(some_posted, timeout=30)
        first.kill()  # SIGKILL: no cleanup, messages left 'sending'
    finally:
        first.stop()
    async with db.read() as session:
        stranded = (
            await session.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status != "sent")
            )
        ).scalar_one()
    assert stranded > 0, "the kill left work undone"
    fake.delays.clear()
    second = Server(env, tmp_path / "second.log")
    try:
        await second.ready()

        async def all_sent() -> bool:
            async with db.read() as session:
                left = (
                    await session.execute(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status != "sent")
                    )
                ).scalar_one()
            return left == 0

        await _wait(all_sent)
    finally:
        second.stop()
    posted = _posted_outbox_ids(fake)
    assert len(posted) == total, "every pending message arrived"
    assert set(posted.values()) == {1}, f"sent twice: {[k for k, v in posted.items() if v > 1]}"
