"""GET /metrics: how the bot is doing, in the Prometheus text format (prometheus-client).

Each server has its own registry (tests run several in one process), never the library's
global one. Counters and latencies are kept as things happen; the outbox, the jobs and
the audit head are read from the database at each scrape, so every replica reports the
same backlog.

No label carries personal data: endpoints are route templates
(`/v3/directline/conversations/{conversation_id}/activities`, never an id), platforms
and results come from fixed lists, and nothing else is labelled.

Access: with SAFECONTACT_METRICS_TOKEN set, a request must carry it as a bearer token;
without one, only this computer may ask, directly and not through a proxy (the same
test as the local web chat's).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from storage import health

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

ENDPOINT = "/metrics"
# Seconds each platform waits for its answer: Slack's 3 s for any request (HTTP or Socket
# Mode); Teams' 5 s for an invoke (a card's button).
DEADLINES = {"slack_http": 3.0, "slack_socket": 3.0, "teams_invoke": 5.0}
# Delivery results, as the outbox loop decides them.
RESULTS = ("sent", "retry", "failed", "unreachable", "skipped")
# Failed outbox messages in this window count as recent (doctor and the metric agree).
RECENT_FAILURES = timedelta(days=7)

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)


class Metrics:
    """The counters a running server keeps; database figures are set at each scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.request_seconds = Histogram(
            "safecontact_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["endpoint", "method"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ack_seconds = Histogram(
            "safecontact_ack_duration_seconds",
            "Time from a platform's request to the bot's acknowledgement, by transport.",
            ["transport"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.acks_late = Counter(
            "safecontact_acks_past_deadline",
            "Acknowledgements sent after the platform's deadline (Slack 3 s, Teams invoke 5 s).",
            ["transport"],
            registry=r,
        )
        self.deliveries = Counter(
            "safecontact_deliveries",
            "Outbox delivery attempts by platform and result.",
            ["platform", "result"],
            registry=r,
        )
        self.socket_connected = Gauge(
            "safecontact_slack_socket_connected",
            "1 while the Slack Socket Mode connection is up, 0 otherwise.",
            registry=r,
        )
        self.socket_reconnects = Counter(
            "safecontact_slack_socket_reconnects",
            "Times the Slack Socket Mode connection was lost and made again.",
            registry=r,
        )
        self.outbox = Gauge(
            "safecontact_outbox_messages",
            "Outbox messages by state (pending, sending, failed, ...).",
            ["status"],
            registry=r,
        )
        self.outbox_failed_recent = Gauge(
            "safecontact_outbox_failed_recent",
            "Outbox messages that failed in the last 7 days.",
            registry=r,
        )
        self.outbox_oldest = Gauge(
            "safecontact_outbox_oldest_due_seconds",
            "How long the longest-waiting undelivered message has waited; 0 when none waits.",
            registry=r,
        )
        self.jobs = Gauge(
            "safecontact_jobs",
            "Scheduled jobs: due now, overdue (due past the grace period), failed.",
            ["state"],
            registry=r,
        )
        self.audit_head_age = Gauge(
            "safecontact_audit_head_age_seconds",
            "Seconds since the newest audit event was written.",
            registry=r,
        )
        self.database_up = Gauge(
            "safecontact_database_up", "1 when the last scrape could read the database.", registry=r
        )
        self.db_write_transactions = Gauge(
            "safecontact_db_write_transactions",
            "Write transactions this server has committed since it started.",
            registry=r,
        )
        self.db_handoffs = Gauge(
            "safecontact_db_handoffs",
            "Times work was handed to the database's own thread since start (0 on SQLite, "
            "which runs on the server's loop; about one per write transaction on PostgreSQL).",
            registry=r,
        )
        for transport in DEADLINES:
            self.acks_late.labels(transport)
        for status in ("pending", "sending", "failed"):
            self.outbox.labels(status)

    # -- what the transports and loops report ----------------------------------------
    def acked(self, transport: str, seconds: float) -> None:
        self.ack_seconds.labels(transport).observe(seconds)
        if seconds > DEADLINES[transport]:
            self.acks_late.labels(transport).inc()
            log.warning(
                "%s acknowledged after %.1f s, past the platform's %.0f s deadline",
                transport,
                seconds,
                DEADLINES[transport],
            )

    def delivered(self, platform: str | None, result: str) -> None:
        self.deliveries.labels(platform or "none", result).inc()

    def socket_state(self, *, connected: bool, reconnected: bool = False) -> None:
        self.socket_connected.set(1 if connected else 0)
        if reconnected:
            self.socket_reconnects.inc()

    # -- at each scrape ----------------------------------------------------------------
    def render(self) -> bytes:
        return generate_latest(self.registry)


def route_template(request: web.Request) -> str:
    """The route's template, never the path itself: ids in a path are not labels."""
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    return resource.canonical


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def middleware(metrics: Metrics) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """Time every request by route template; /metrics itself is not timed."""

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            endpoint = route_template(request)
            if endpoint != ENDPOINT:
                metrics.request_seconds.labels(endpoint, request.method).observe(
                    time.perf_counter() - started
                )

    return timed


def allowed(request: web.Request, token: str | None) -> bool:
    """A bearer token when one is set; otherwise this computer only, not through a proxy."""
    if token:
        given = request.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            value.strip().encode(), token.encode()
        )
    from bot.webchat.guard import refusal

    return refusal(request) is None


def mount(app: web.Application, runtime: Runtime) -> None:
    """GET /metrics on the serve application, and the timing of every other route."""
    metrics = runtime.metrics
    secret = runtime.settings.metrics_token
    token = secret.get_secret_value() if secret is not None else None
    app.middlewares.append(middleware(metrics))

    async def scrape(request: web.Request) -> web.Response:
        if not allowed(request, token):
            if token:
                return web.Response(
                    status=401,
                    text="Send the metrics token as 'Authorization: Bearer <token>'.\n",
                    headers={"WWW-Authenticate": 'Bearer realm="safecontact metrics"'},
                )
            return web.Response(
                status=403,
                text="Metrics answer this computer only; set SAFECONTACT_METRICS_TOKEN to "
                "scrape them from elsewhere with a bearer token.\n",
            )
        await refresh(runtime)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get(ENDPOINT, scrape)


async def refresh(runtime: Runtime) -> None:
    """Read the backlog figures from the database into the gauges."""
    metrics = runtime.metrics
    now = runtime.clock()
    metrics.db_write_transactions.set(runtime.db.counts.write_transactions)
    metrics.db_handoffs.set(runtime.db.counts.handoffs)

    async def read() -> tuple[health.OutboxHealth, health.JobsHealth, datetime | None]:
        async with runtime.db.read() as session:
            outbox = await health.outbox_health(session, now=now, since=now - RECENT_FAILURES)
            jobs = await health.jobs_health(
                session, now=now, grace=health.overdue_grace(runtime.scheduler_interval)
            )
            return outbox, jobs, await health.audit_head_at(session)

    try:
        outbox, jobs, head_at = await runtime.db.run(read())
    except Exception as exc:
        metrics.database_up.set(0)
        log.warning("metrics could not read the database: %s", type(exc).__name__)
        return
    metrics.database_up.set(1)
    for status, count in outbox.by_status.items():
        metrics.outbox.labels(status).set(count)
    metrics.outbox_failed_recent.set(outbox.failed_since)
    waited = (now - outbox.oldest_due_at).total_seconds() if outbox.oldest_due_at else 0.0
    metrics.outbox_oldest.set(max(0.0, waited))
    metrics.jobs.labels("due").set(jobs.due)
    metrics.jobs.labels("overdue").set(jobs.overdue)
    metrics.jobs.labels("failed").set(jobs.failed)
    metrics.audit_head_age.set((now - head_at).total_seconds() if head_at else 0.0)
