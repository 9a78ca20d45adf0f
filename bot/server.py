"""The aiohttp application `safecontact serve` runs: Slack, Teams, health and the loops."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot import audit_check, letter_links, logging_setup, metrics
from bot.context import ctx_for
from bot.delivery import Sender, delivery_loop
from bot.mail import mailer_for
from bot.runtime import Runtime
from bot.scheduler import scheduler_loop
from bot.settings import Settings
from bot.slack.lookup import find_slack_ids
from bot.webchat import wanted as webchat_wanted
from dialogs import directory
from dialogs.authorisation import authority
from dialogs.authorisation.request import hand_out_pending
from dialogs.change import Change
from dialogs.dispute.flow import Reassigned, reassign_undecided
from dialogs.records.jobs import ensure_recurring_jobs
from storage import migrate
from storage import staff as staff_repo

log = logging.getLogger(__name__)

RUNTIME = web.AppKey("runtime", Runtime)
# Parts of /healthz beyond the database: (name, detail, ok) from each, e.g. Slack's socket.
HealthPart = Callable[[], Awaitable[tuple[str, dict[str, Any], bool]]]
HEALTH = web.AppKey("health_parts", list[HealthPart])
VERSION = "0.1.0"
# Seconds a stopping server gives its loops to finish the pass they are in.
STOP_GRACE_SECONDS = 10.0


async def prepare_database(runtime: Runtime, *, find_ids: bool = True) -> None:
    """Upgrade the schema and sync the directory: what every start needs before serving.

    With `find_ids`, Slack ids are looked up by email first (outside the transaction);
    an id the file gives that disagrees with the one found refuses the sync
    (directory.DirectoryRefused).
    """
    await migrate.upgrade(runtime.db)
    # Nothing is written under a key that is not the chain's (AuditKeyMismatch).
    await audit_check.refuse_if_key_disagrees(runtime.db)
    people = runtime.settings.staff
    path = runtime.settings.config_path
    source = f"the configuration file {path}" if path else "the directory (no configuration file)"
    slack_found = await find_slack_ids(runtime, (p.email for p in people)) if find_ids else None

    async def sync() -> tuple[staff_repo.SyncReport, list[Reassigned], int]:
        async with runtime.db.write() as session:
            entries = await directory.entries_for_sync(
                session, people, slack_found=slack_found, source=source
            )
            report = await staff_repo.sync_directory(session, entries=entries)
            await directory.record_found(session, slack_found=slack_found, now=runtime.clock())
            uow = Change(session, ctx_for(runtime), "system")
            # s7.3: only the person asked may decide a dispute; if they left, ask someone else.
            reassigned = await reassign_undecided(uow)
            # s7: an authoriser added since a request was made gets its card too.
            handed_out = await hand_out_pending(uow)
            # The monthly retention purge and oversight report (s9, s7.1), stored once a month.
            await ensure_recurring_jobs(uow)
        return report, reassigned, handed_out

    report, reassigned, handed_out = await runtime.db.run(sync())
    for moved in reassigned:
        if moved.decider is None:
            log.error(
                "the dispute for %s has nobody to decide it: its decider is no longer a Chief "
                "Executive or authoriser in the directory, and nobody independent of the "
                "decision is (add a Chief Executive or an authoriser who took no part)",
                moved.reference,
            )
        else:
            # Staff by number: names stay out of the log.
            log.info(
                "the dispute for %s was passed to staff #%s", moved.reference, moved.decider.id
            )
    if handed_out:
        log.info("sent %d undecided request card(s) to authorisers who had none", handed_out)
    if reassigned or handed_out:
        runtime.wake_outbox()
    if not report.unchanged:
        log.info(
            "staff directory synced: %d added, %d changed, %d removed",
            len(report.added),
            len(report.changed),
            len(report.removed),
        )


def warn_about_letters(settings: Settings) -> None:
    """At start: what letters cannot do as configured (s7: a copy of the policy is provided;
    s7.2: the person can still contact the office, at the address the letter gives)."""
    org = settings.organisation
    for missing in (org.policy_missing(), org.letterhead_missing()):
        if missing:
            log.warning("%s Set it in [organisation] (safecontact.example.toml).", missing)
    if names := authority.unrecorded(
        [
            (e.name, list(e.roles), e.head_of_business_services, e.nominated_by)
            for e in settings.staff
        ]
    ):
        log.warning("staff directory: %s.", authority.warning(names))


async def healthz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    ok = await runtime.db.ping()
    body = {
        "status": "ok" if ok else "degraded",
        "version": VERSION,
        "database": {"backend": runtime.db.backend, "ok": ok},
    }
    for part in request.app[HEALTH]:
        name, detail, part_ok = await part()
        body[name] = detail
        if not part_ok:
            ok = False
            body["status"] = "degraded"
    return web.json_response(body, status=200 if ok else 503)


def build_links(runtime: Runtime) -> letter_links.LetterLinks:
    """The letters' signed download links, keyed from the audit key (bot/letter_links.py)."""
    settings = runtime.settings
    key: list[bytes] = []

    def link_key() -> bytes:
        if not key:
            key.append(letter_links.derive_key(runtime.db.audit.key))
        return key[0]

    return letter_links.LetterLinks(
        key=link_key,
        base_url=lambda: settings.letter_base_url,
        clock=lambda: runtime.clock(),
        lifetime=timedelta(days=settings.letter_link_days),
        enclosures=runtime.enclosures,
    )


def create_app(
    settings: Settings,
    *,
    dev: bool = False,
    runtime: Runtime | None = None,
    background: bool = True,
) -> web.Application:
    """Build the server; nothing connects until the app starts."""
    runtime = runtime or Runtime(
        settings=settings,
        db=audit_check.database(settings),
        poll_interval=settings.outbox_poll_seconds,
        scheduler_interval=settings.scheduler_interval_seconds,
    )
    if runtime.mailer is None:
        runtime.mailer = mailer_for(settings)
    app = web.Application(client_max_size=1024 * 1024, middlewares=[logging_setup.middleware()])
    app[RUNTIME] = runtime
    app[HEALTH] = []
    app.router.add_get("/healthz", healthz)
    metrics.mount(app, runtime)
    links = build_links(runtime)
    letter_links.mount(app, links, db=runtime.db)

    loops: list[Callable[[Runtime], Awaitable[None]]] = []
    senders: list[Sender] = []
    if settings.slack_enabled:
        from bot.slack import app as slack

        if not settings.slack_socket_mode:
            slack.mount(app, runtime)
        senders.append(slack.build_sender(runtime, app))
    # /api/messages is always mounted: without an app id (and outside --dev) it answers
    # every activity 401, and then botbuilder is not even imported.
    webchat = webchat_wanted(settings, dev=dev)
    teams_sender = None
    if settings.teams_app_configured or dev or webchat:
        from bot.teams import app as teams

        teams_sender = teams.mount(app, runtime, dev=dev, links=links)
    else:
        from bot.teams import closed

        closed.mount(app)
    teams_delivery: Sender | None = teams_sender
    if webchat:
        from bot.webchat.app import mount as mount_webchat

        # The local web chat (loopback only) runs the Teams bot; its sender delivers to
        # web chat conversations and hands real Teams ones to the Teams sender.
        teams_delivery = mount_webchat(app, runtime, teams_sender=teams_sender, links=links)
    if teams_delivery is not None:
        senders.append(teams_delivery)
    if senders:
        # With no platform configured, messages wait in the outbox rather than failing.
        loops.append(lambda rt: delivery_loop(rt, senders))
    loops.append(scheduler_loop)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime.loop = asyncio.get_running_loop()
        await prepare_database(runtime)
        warn_about_letters(settings)
        # Everything made to start (modules, models, templates, the registry) lives as long
        # as the server: out of the collector's way, a full collection scans only what
        # requests made, and pauses a few milliseconds instead of 40-60 (docs/performance.md).
        gc.freeze()
        runtime.stopping.clear()  # a runtime may serve again after a stop
        tasks = [asyncio.create_task(loop(runtime)) for loop in (loops if background else [])]
        yield
        # Let each loop finish its pass so a transaction commits or rolls back whole;
        # only a pass stuck past the grace period (a platform not answering) is cancelled.
        runtime.stopping.set()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in stuck:
                log.warning("a loop did not stop within %ss; cancelling it", STOP_GRACE_SECONDS)
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await runtime.db.dispose()

    app.cleanup_ctx.append(lifecycle)
    if settings.slack_socket_mode:
        from bot.slack import socket_mode

        # Registered after the start-up above, so it connects once the database is ready.
        socket_mode.attach(app, runtime)
    return app
