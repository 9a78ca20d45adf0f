"""What a running server holds: settings, the database, the clock and the senders.

Built by `create_app` and handed to every handler, so nothing lives in module globals
and tests can run several servers in one process.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.metrics import Metrics
from bot.settings import Settings
from dialogs import letters
from dialogs.letters import Enclosure
from dialogs.mail import Mailer
from storage.db import Database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock = system_clock
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}")
    # Set when a transaction adds outbox rows, so delivery starts without waiting to poll.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # The delivery loop numbers its passes and records the last one that found nothing
    # due, setting `delivery_idle` then: whoever needs to know the outbox has drained
    # (the tests, after each step) waits on that instead of polling the database.
    delivery_passes: int = 0
    last_idle_pass: int = 0
    delivery_idle: asyncio.Event = field(default_factory=asyncio.Event)
    # Set at shutdown: the loops finish the pass they are in (so no transaction is cut
    # off half way) and return, instead of being cancelled inside a query.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Seconds; the base of the exponential backoff between delivery attempts.
    retry_base: float = 2.0
    poll_interval: float = 1.0
    # Seconds between scheduler passes; reminders are day-grained, so this need not be short.
    scheduler_interval: float = 30.0
    # Counters and latencies for GET /metrics; one registry per server.
    metrics: Metrics = field(default_factory=Metrics)
    # The server's event loop, once it runs: where the delivery loop waits to be woken.
    loop: asyncio.AbstractEventLoop | None = None
    # Sends letters by email when [smtp] is set up (bot/mail.py); create_app sets it.
    mailer: Mailer | None = None

    def enclosures(self, kind: str) -> list[Enclosure]:
        """What goes with a letter of `kind` as this server is configured (s7: the policy
        with the strategy letter): one answer for the card's links, the download route,
        the Slack upload and the email (dialogs/letters.py holds the rule)."""
        return letters.enclosures(self.settings.organisation, kind)

    def wake_outbox(self) -> None:
        """Start delivering now. Safe from any thread: flows commit on the database's
        thread (storage/db.py), and an asyncio.Event may only be set from its own loop."""
        loop = self.loop
        if loop is None or loop.is_closed() or _running_loop() is loop:
            self.outbox_wakeup.set()
            return
        loop.call_soon_threadsafe(self.outbox_wakeup.set)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def pause(runtime: Runtime, seconds: float, *, wake: asyncio.Event | None = None) -> None:
    """Sleep between loop passes; return at once when the server stops or `wake` is set."""
    waiters = [asyncio.ensure_future(runtime.stopping.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
