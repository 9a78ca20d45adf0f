"""Figure 4: time from `safecontact serve` to /healthz 200, and resident memory under use.

Start-up is timed from just before the process is spawned to the first 200 from
/healthz (polled every 10 ms), on a database already at the current schema (every
restart) and on an empty one (the first start, which migrates). Memory is the serve
process's VmRSS after 10,000 incidents have been reported through Slack and all their
messages delivered.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import procs
from bench.loadgen import median
from bench.throughput import CONCURRENCY, submit_and_drain

IMPORTS = (
    "import time; t = time.perf_counter(); "
    "import bot.cli, bot.commands, bot.server, bot.slack.app; "
    "print(time.perf_counter() - t)"
)


async def startup(
    workdir: Path, plan: procs.CpuPlan, *, runs: int, backends: list[str]
) -> dict[str, Any]:
    dbs = procs.Databases(workdir)
    log = workdir / "startup.log"
    fake = procs.start_fake_slack(plan.clients, log)
    out: dict[str, Any] = {"runs": runs, "backends": {}}
    try:
        for backend in backends:
            at_head = await dbs.fresh(backend)
            env = procs.serve_env(workdir, at_head, fake)
            warm = []
            for _ in range(runs):
                start = time.perf_counter()
                sc = procs.start_serve(env, plan.servers, log)
                try:
                    await procs.wait_healthy(sc)
                    warm.append(time.perf_counter() - start)
                finally:
                    sc.stop()
            first = []
            if backend == "sqlite":
                for n in range(runs):
                    empty = workdir / f"empty{n}.db"
                    empty.unlink(missing_ok=True)
                    env = procs.serve_env(workdir, f"sqlite+aiosqlite:///{empty}", fake)
                    start = time.perf_counter()
                    sc = procs.start_serve(env, plan.servers, log)
                    try:
                        await procs.wait_healthy(sc)
                        first.append(time.perf_counter() - start)
                    finally:
                        sc.stop()
            out["backends"][backend] = {
                "restart_s": median(warm),
                "restart_all": warm,
                "first_start_s": median(first) if first else None,
            }
        imports = []
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", IMPORTS],
                cwd=procs.ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            imports.append(float(done.stdout))
        out["imports_s"] = median(imports)
    finally:
        fake.stop()
        await dbs.drop_all()
    return out


async def memory(
    workdir: Path, plan: procs.CpuPlan, *, incidents: int, runs: int
) -> dict[str, Any]:
    dbs = procs.Databases(workdir)
    log = workdir / "memory.log"
    rows = []
    try:
        for _ in range(runs):
            fake = procs.start_fake_slack(plan.clients, log)
            db_url = await dbs.fresh("sqlite")
            sc = procs.start_serve(procs.serve_env(workdir, db_url, fake), plan.servers, log)
            try:
                await procs.wait_healthy(sc)
                idle = procs.rss_mb(sc.pid)
                figures = await submit_and_drain(
                    sc, fake, db_url, n=incidents, concurrency=CONCURRENCY
                )
                rows.append(
                    {
                        "idle_mb": idle,
                        "after_mb": procs.rss_mb(sc.pid),
                        "errors": figures["errors"],
                        "stored": figures["stored"],
                        "delivered": figures["delivered"],
                    }
                )
            finally:
                sc.stop()
                fake.stop()
            await dbs.discard(db_url)
    finally:
        await dbs.drop_all()
    return {
        "incidents": incidents,
        "runs": rows,
        "idle_mb": median([r["idle_mb"] for r in rows]),
        "after_mb": median([r["after_mb"] for r in rows]),
    }
