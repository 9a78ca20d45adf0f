"""Figure 2: incident submissions per second, through to stored rows and delivered messages.

The clock starts at the first view_submission and stops when every acknowledged report
is stored and every outbox message it wrote has reached the fake Slack, so the figure
is what the office gets end to end, not just how fast the bot acks. One more SQLite run
is made under py-spy (sampling the serve process from outside, pausing it for each
sample so that every stack is read whole) to say where the time goes; that run is not
counted in the figures.
"""

from __future__ import annotations

import asyncio
import json
import linecache
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bench import driver_cost, procs, slack_requests
from bench.ack import _opened_view, _reset
from bench.loadgen import Result, drive, median
from storage.db import Database
from storage.models import Incident, OutboxMessage

CONCURRENCY = 16
OUR_PACKAGES = ("bot/", "dialogs/", "storage/", "cards/")


def _check(i: int, answer: str) -> str | None:
    try:
        ack = json.loads(answer)
    except ValueError:
        return "not JSON"
    text = json.dumps(ack.get("view") or {})
    if ack.get("response_action") != "update" or "saved as" not in text:
        return "not a saved report"
    return None


async def _counts(db: Database) -> tuple[int, Counter[str]]:
    async with db.read() as session:
        incidents = (await session.execute(select(func.count()).select_from(Incident))).scalar_one()
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return incidents, Counter({s: n for s, n in rows.all()})


async def _fake_stats(fake: procs.Proc) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{fake.extra['control']}/stats") as resp,
    ):
        return dict(await resp.json())


async def _db_counts(sc: procs.Proc) -> tuple[float, float]:
    """(hand-offs, write transactions) the server has counted, from its /metrics."""
    async with aiohttp.ClientSession() as http, http.get(f"{sc.url}/metrics") as resp:
        text = await resp.text()
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("safecontact_db_handoffs", "safecontact_db_write_transactions"):
            found[name] = float(value)
    return found["safecontact_db_handoffs"], found["safecontact_db_write_transactions"]


async def submit_and_drain(
    sc: procs.Proc, fake: procs.Proc, db_url: str, *, n: int, concurrency: int, start_at: int = 0
) -> dict[str, Any]:
    """Open the form once, submit `n` distinct reports, wait until all are delivered."""
    view = await _opened_view(fake, sc)
    await _reset(fake)
    db = Database(db_url)
    try:
        before, _ = await _counts(db)

        def body(i: int) -> tuple[str, str]:
            answers = slack_requests.incident_answers(start_at + i)
            payload = slack_requests.submission("U0SAM", view, answers)
            return slack_requests.interaction(payload), slack_requests.FORM

        handoffs_before, writes_before = await _db_counts(sc)
        cpu_before = procs.cpu_seconds(sc.pid)
        start = time.perf_counter()
        result: Result = await drive(
            f"{sc.url}/slack/events", body, n=n, concurrency=concurrency, check=_check
        )
        acked = time.perf_counter() - start
        deadline = start + 600
        while True:
            incidents, outbox = await _counts(db)
            stats = await _fake_stats(fake)
            drained = not outbox.get("pending") and not outbox.get("sending")
            # Every row marked sent is a chat.postMessage the fake holds (a fresh database).
            if drained and stats["posted"] >= outbox.get("sent", 0):
                break
            if time.perf_counter() > deadline:
                raise RuntimeError(f"not drained: {outbox}, fake {stats}")
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        cpu = procs.cpu_seconds(sc.pid) - cpu_before
        handoffs, writes = await _db_counts(sc)
        handoffs, writes = handoffs - handoffs_before, writes - writes_before
        return {
            "handoffs": handoffs,
            "write_transactions": writes,
            "handoffs_per_write": handoffs / max(1.0, writes),
            "cpu_ms_per_report": 1000 * cpu / max(1, result.ok),
            "server_cpu_busy": cpu / elapsed,
            "n": n,
            "ok": result.ok,
            "errors": len(result.errors),
            "error_samples": result.errors[:3],
            "stored": incidents - before,
            "acked_s": acked,
            "elapsed_s": elapsed,
            "per_second": result.ok / elapsed,
            "ack_p50": result.pct(50),
            "ack_p99": result.pct(99),
            "outbox": dict(outbox),
            "delivered": stats["posted"],
            "duplicates": stats["duplicates"],
        }
    finally:
        await db.dispose()


async def _one_run(
    workdir: Path, plan: procs.CpuPlan, dbs: procs.Databases, backend: str, n: int, *, profile: bool
) -> dict[str, Any]:
    log = workdir / f"throughput-{backend}.log"
    fake = procs.start_fake_slack(plan.clients, log)
    started = [fake]
    spy: subprocess.Popen[bytes] | None = None
    try:
        db_url = await dbs.fresh(backend)
        env = procs.serve_env(workdir, db_url, fake)
        sc = procs.start_serve(env, plan.servers, log)
        started.append(sc)
        await procs.wait_healthy(sc)
        raw = workdir / f"profile-{backend}.txt"
        if profile:
            spy = subprocess.Popen(
                [
                    str(procs.BIN / "py-spy"),
                    "record",
                    "--pid",
                    str(sc.pid),
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    "--output",
                    str(raw),
                ],
                stdout=log.open("ab"),
                stderr=subprocess.STDOUT,
            )
            procs.pin(spy.pid, plan.clients)
            await asyncio.sleep(1.0)  # py-spy attaches
        figures = await submit_and_drain(sc, fake, db_url, n=n, concurrency=CONCURRENCY)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
            # py-spy needs ptrace; without it the figures stand, unprofiled
            figures["profile"] = top_costs(raw.read_text()) if raw.exists() else None
        return figures
    finally:
        if spy is not None and spy.poll() is None:
            spy.kill()
        for proc in reversed(started):
            proc.stop()


async def measure(
    workdir: Path, plan: procs.CpuPlan, *, runs: int, n: int, backends: list[str], profile: bool
) -> dict[str, Any]:
    dbs = procs.Databases(workdir)
    out: dict[str, Any] = {"concurrency": CONCURRENCY, "n": n, "backends": {}}
    try:
        for backend in backends:
            rows = [
                await _one_run(workdir, plan, dbs, backend, n, profile=False) for _ in range(runs)
            ]
            out["backends"][backend] = {
                "runs": rows,
                "per_second": median([r["per_second"] for r in rows]),
                "cpu_ms_per_report": median([r["cpu_ms_per_report"] for r in rows]),
                "handoffs_per_write": median([r["handoffs_per_write"] for r in rows]),
                "writes_per_report": median([r["write_transactions"] / r["ok"] for r in rows]),
                "ack_p50": median([r["ack_p50"] for r in rows]),
                "ack_p99": median([r["ack_p99"] for r in rows]),
                "errors": sum(r["errors"] for r in rows),
                "duplicates": sum(r["duplicates"] for r in rows),
                "stored_all": all(r["stored"] == r["ok"] for r in rows),
            }
        if profile:
            out["profile"] = (await _one_run(workdir, plan, dbs, "sqlite", n, profile=True))[
                "profile"
            ]
        out["driver"] = await driver_cost.measure(workdir, plan, backends)
    finally:
        await dbs.drop_all()
    return out


# -- py-spy's raw (collapsed) stacks to a flat profile -------------------------------------


def _frame_name(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "module.function" with a short path
    name, _, where = frame.rpartition(" (")
    path = where.split(":")[0]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{name or frame}"


def _waiting(frame: str) -> bool:
    """A sample of a thread blocked, not working: an event loop in epoll, or a worker
    thread (aiosqlite's, an executor's) waiting for its next call. py-spy counts some of
    these; they are not CPU."""
    name, _, where = frame.rpartition(" (")
    path, _, line = where.rstrip(")").rpartition(":")
    if path.endswith("selectors.py") and name.endswith(".select"):
        return True
    if not line.isdigit():
        return False
    if path.endswith("aiosqlite/core.py"):
        return "tx.get()" in linecache.getline(path, int(line))
    if path.endswith("concurrent/futures/thread.py") and name == "_worker":
        return "work_queue.get(" in linecache.getline(path, int(line))
    return False


def _package(frame: str) -> str:
    path = _frame_name(frame).split(":")[0]
    if path.startswith(OUR_PACKAGES):
        return path.split("/")[0] + "/ (ours)"
    head = path.split("/")[0].removesuffix(".py")
    return head or "other"


# Where one report's CPU goes, as disjoint layers: a sample counts for the first layer
# whose function is on its stack (names as `_frame_name` gives them).
LAYERS = (
    ("is the sender staff? (identity)", ("dialogs/identity.py:resolve", "bot/context.py:Turns.")),
    ("the report's change: its transaction", ("dialogs/incident/report.py:record",)),
    ("sending its 3 messages (render, Slack Web API)", ("bot/slack/sender.py:SlackSender.",)),
    ("claiming and recording them (outbox transactions)", ("bot/delivery.py:deliver_due",)),
    (
        "the request: HTTP, signature, body, bolt, the answer",
        ("bot/slack/app.py:mount.<locals>.slack_events", "aiohttp/web_protocol.py:"),
    ),
)
OTHER_LAYER = "the rest (event loop, scheduler, garbage collection)"


def layers(raw: str) -> dict[str, float]:
    """Each layer's share (%) of the working samples of one report's path."""
    counts: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if _waiting(frames[-1]):
            continue
        samples = int(count)
        total += samples
        names = [_frame_name(f) for f in frames]
        counts[_layer_of(names)] += samples
    names = [name for name, _ in LAYERS] + [OTHER_LAYER]
    return {name: 100 * counts[name] / total if total else 0.0 for name in names}


def _layer_of(names: list[str]) -> str:
    for layer, marks in LAYERS:
        if any(name.startswith(marks) for name in names):
            return layer
    return OTHER_LAYER


def top_costs(raw: str, *, top: int = 15) -> dict[str, Any]:
    """Self time by library, and inclusive time of our own functions, from py-spy samples.

    Shares are of the samples that were working: a thread seen blocked is counted apart.
    """
    by_library: Counter[str] = Counter()
    ours_inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = waiting = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = stack.split(";")
        leaf = frames[-1]
        if _waiting(leaf):
            waiting += samples
            continue
        total += samples
        by_library[_package(leaf)] += samples
        self_time[_frame_name(leaf)] += samples
        seen = set()
        for frame in frames:
            name = _frame_name(frame)
            if name.startswith(OUR_PACKAGES) and name not in seen:
                seen.add(name)
                ours_inclusive[name] += samples

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(k, 100 * v / total) for k, v in counter.most_common(top)] if total else []

    return {
        "layers": layers(raw),
        "samples": total,
        "waiting": waiting,
        "by_library": share(by_library),
        "self": share(self_time),
        "ours_inclusive": share(ours_inclusive),
    }
