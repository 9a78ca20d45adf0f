"""What every test world shares: a real server on loopback, waiting for a condition, and
knowing when the outbox has drained.

The Slack and Teams harnesses (tests/slack_harness.py, tests/teams_harness.py) build on
this, so each wait is written once. Draining is signalled by the delivery loop itself
(`Runtime.last_idle_pass`, bot/delivery.py), not found by polling the database.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from aiohttp import web
from sqlalchemy import func, select

from bot import audit_check
from bot.runtime import Runtime
from bot.server import create_app
from bot.settings import Settings
from storage.db import Database
from storage.models import OutboxMessage
from storage.models.status import OutboxStatus

# Generous: a shared, noisy machine. Nothing here is a timing assertion; a wait that runs
# out means what it waited for did not happen.
TIMEOUT = 10.0


async def eventually(check: Callable[[], Any], *, what: str, timeout: float = TIMEOUT) -> Any:
    """The first truthy result of `check()` (awaited when it returns an awaitable)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def drained(runtime: Runtime, *, timeout: float = TIMEOUT) -> None:
    """Return once the outbox has nothing left to send right now.

    That is: a delivery pass that began after this call found nothing due, and no message
    is still pending or being sent (a retry waiting out its backoff keeps us waiting for
    the next pass)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    begun = runtime.delivery_passes
    runtime.wake_outbox()
    while True:
        if runtime.last_idle_pass > begun:
            if not await _unsent(runtime.db):
                return
            begun = runtime.delivery_passes
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError("the outbox did not drain")
        try:
            await asyncio.wait_for(runtime.delivery_idle.wait(), remaining)
        except TimeoutError:
            raise AssertionError("the outbox did not drain") from None


async def _unsent(db: Database) -> int:
    async with db.read() as session:
        return (
            await session.execute(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            )
        ).scalar_one()


async def serve(
    settings: Settings,
    *,
    dev: bool = True,
    clock: Callable[[], Any] | None = None,
    tune: Callable[[web.Application], None] | None = None,
) -> tuple[str, Runtime, web.Application, web.AppRunner]:
    """The real server on 127.0.0.1 with quick retries; `tune` adjusts it before it starts.

    The database and the scheduler's pace come from the settings as `serve` takes them
    (the audit trail's key and anchor files included), so a test can set them."""
    runtime = Runtime(
        settings=settings,
        db=audit_check.database(settings),
        retry_base=0.05,
        poll_interval=0.05,
        scheduler_interval=settings.scheduler_interval_seconds,
    )
    if clock is not None:
        runtime.clock = clock
    app = create_app(settings, dev=dev, runtime=runtime)
    if tune is not None:
        tune(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return f"http://127.0.0.1:{runner.addresses[0][1]}", runtime, app, runner


class World:
    """The waits every harness's world offers; its subclasses hold `runtime`."""

    runtime: Runtime

    async def eventually(
        self, check: Callable[[], Any], *, timeout: float = TIMEOUT, what: str = "condition"
    ) -> Any:
        return await eventually(check, what=what, timeout=timeout)

    async def settle(self) -> None:
        """Wait until the outbox has nothing left to send right now."""
        await drained(self.runtime)
