"""Processes the bench starts: `safecontact serve`, the bare bolt app and the fake Slack.

Each runs in its own process. On a machine with two or more cores the servers get
the first half of the cores and the load generator and the fake Slack the rest
(`os.sched_setaffinity`), so the client never steals the server's CPU and the server
under test gets a small server's worth of machine; see `cpu_plan`.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.slack_requests import SECRET, TOKEN

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_DSN = os.environ.get("SAFECONTACT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# The directory the bench serves: a reporter, their manager, and the manager's manager.
DIRECTORY = """
[[staff]]
name = "Sam Patel"
email = "sam@example.org"
roles = ["staff"]
manager = "jo@example.org"
slack_user_id = "U0SAM"

[[staff]]
name = "Jo Reed"
email = "jo@example.org"
roles = ["staff", "manager"]
manager = "alex@example.org"
slack_user_id = "U0JO"

[[staff]]
name = "Alex Morgan"
email = "alex@example.org"
roles = ["manager", "authoriser", "admin"]
slack_user_id = "U0ALEX"
"""


@dataclass(frozen=True)
class CpuPlan:
    servers: set[int]
    clients: set[int]

    def describe(self) -> str:
        if self.servers == self.clients:
            return f"one core ({sorted(self.servers)}); servers and client share it"
        return (
            f"servers pinned to CPU {sorted(self.servers)}, load generator and fake Slack "
            f"to CPU {sorted(self.clients)}"
        )


def cpu_plan() -> CpuPlan:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return CpuPlan(set(cpus), set(cpus))
    half = len(cpus) // 2
    return CpuPlan(set(cpus[:half]), set(cpus[half:]))


def pin(pid: int, cpus: set[int]) -> None:
    os.sched_setaffinity(pid, cpus)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident set size from /proc, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Proc:
    """A child process we started, stopped by its own pid only."""

    name: str
    popen: subprocess.Popen[bytes]
    url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)


async def wait_healthy(proc: Proc, *, timeout: float = 30.0) -> float:
    """Poll GET /healthz until 200; seconds waited. Polls every 10 ms."""
    start = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        while True:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode}")
            try:
                async with http.get(f"{proc.url}/healthz") as resp:
                    if resp.status == 200:
                        return time.perf_counter() - start
            except aiohttp.ClientError:
                pass
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"{proc.name} did not answer /healthz in {timeout}s")
            await asyncio.sleep(0.01)


def start_fake_slack(cpus: set[int], log: Path) -> Proc:
    popen = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_slack_proc"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log.open("ab"),
    )
    pin(popen.pid, cpus)
    assert popen.stdout is not None
    info = json.loads(popen.stdout.readline())
    return Proc("fake-slack", popen, url=info["base"], extra=info)


def serve_env(workdir: Path, db_url: str, fake: Proc, **settings: Any) -> dict[str, str]:
    config = workdir / "safecontact.toml"
    top = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    config.write_text(top + DIRECTORY)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_"))}
    env.update(
        DATABASE_URL=db_url,
        SAFECONTACT_CONFIG=str(config),
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.extra["api"],
        PYTHONPATH=str(ROOT),
    )
    return env


def start_serve(
    env: dict[str, str], cpus: set[int], log: Path, *, prefix: list[str] | None = None
) -> Proc:
    """`safecontact serve` exactly as an operator starts it (the installed entry point)."""
    port = free_port()
    cmd = [str(BIN / "safecontact"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    popen = subprocess.Popen(
        (prefix or []) + cmd,
        cwd=log.parent,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    pin(popen.pid, cpus)
    return Proc("safecontact", popen, url=f"http://127.0.0.1:{port}")


def start_bare(fake: Proc, view_file: Path, cpus: set[int], log: Path) -> Proc:
    port = free_port()
    popen = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.bare_bolt",
            "--port",
            str(port),
            "--api",
            fake.extra["api"],
            "--view",
            str(view_file),
        ],
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    pin(popen.pid, cpus)
    return Proc("bare-bolt", popen, url=f"http://127.0.0.1:{port}")


# -- databases ---------------------------------------------------------------------------


def pg_url(dbname: str) -> str:
    base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{dbname}"


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_DSN, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def pg_available() -> bool:
    try:
        await pg_admin("SELECT 1")
        return True
    except (OSError, asyncpg.PostgresError):
        return False


@dataclass
class Databases:
    """Fresh, migrated databases for each run: SQLite files copied from a template, and
    PostgreSQL databases created from a template database, all removed at the end."""

    workdir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _sqlite_template: Path | None = None
    _pg_template: str | None = None
    _pg_made: list[str] = field(default_factory=list)
    _n: int = 0

    async def fresh(self, backend: str) -> str:
        from storage.audit_files import KEY_ENV, default_paths
        from storage.db import Database
        from storage.migrate import upgrade

        self._n += 1
        if backend == "sqlite":
            if self._sqlite_template is None:
                self._sqlite_template = self.workdir / "template.db"
                db = Database(f"sqlite+aiosqlite:///{self._sqlite_template}")
                await upgrade(db)
                await db.dispose()
            # Named for this set of databases too: a file's audit key and anchors sit beside
            # it, and a later phase's run1.db must not meet an earlier one's anchors.
            path = self.workdir / f"run{self.run_id}-{self._n}.db"
            shutil.copy(self._sqlite_template, path)
            return f"sqlite+aiosqlite:///{path}"
        if self._pg_template is None:
            self._pg_template = f"sc_bench_{self.run_id}_tpl"
            await pg_admin(f'CREATE DATABASE "{self._pg_template}"')
            self._pg_made.append(self._pg_template)
            # The audit key a PostgreSQL database is made with goes where the bench's
            # servers (run in the scratch folder) look for it, not into the checkout.
            key = os.environ.get(KEY_ENV)
            url = pg_url(self._pg_template)
            os.environ[KEY_ENV] = str(self.workdir / default_paths(url)[0])
            try:
                db = Database(url)
                await upgrade(db)
                await db.dispose()
            finally:
                if key is None:
                    os.environ.pop(KEY_ENV)
                else:
                    os.environ[KEY_ENV] = key
        name = f"sc_bench_{self.run_id}_{self._n}"
        await pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._pg_template}"')
        self._pg_made.append(name)
        return pg_url(name)

    async def discard(self, url: str) -> None:
        """Remove one database made by `fresh` (its template stays for the next)."""
        if url.startswith("sqlite"):
            from storage.audit_files import default_paths

            Path(url.split("///", 1)[1]).unlink(missing_ok=True)
            for beside in default_paths(url):
                beside.unlink(missing_ok=True)
            return
        name = url.rsplit("/", 1)[1]
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._pg_made.remove(name)

    async def drop_all(self) -> None:
        for name in reversed(self._pg_made):
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._pg_made.clear()
