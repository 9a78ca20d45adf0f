"""Figure 1: ack latency of a signed /incident, safecontact against a bare bolt app.

Both servers run at once, pinned to the same server core(s), and take turns: in every
run each gets a warm-up and then the same number of requests at the same concurrency,
the order alternating between runs. The ratio is taken within each run, then the
median over runs is reported, so drift in a shared machine's speed cancels out.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import procs, slack_requests
from bench.loadgen import drive, median

CONCURRENCY = (1, 16, 64)


@dataclass
class Point:
    concurrency: int
    requests: int
    runs: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def med(key: str) -> float:
            return median([r[key] for r in self.runs])

        return {
            "concurrency": self.concurrency,
            "requests": self.requests,
            "runs": len(self.runs),
            "safecontact_p50": med("safecontact_p50"),
            "safecontact_p99": med("safecontact_p99"),
            "bare_p50": med("bare_p50"),
            "bare_p99": med("bare_p99"),
            "ratio_p50": med("ratio_p50"),
            "ratio_p99": med("ratio_p99"),
            "errors": sum(r["errors"] for r in self.runs),
            "safecontact_opened": min(r["safecontact_opened"] for r in self.runs),
            "bare_opened": min(r["bare_opened"] for r in self.runs),
        }


async def _opened_view(fake: procs.Proc, sc: procs.Proc) -> dict[str, Any]:
    """The view safecontact opens for /incident, as the fake Slack received it."""
    body = slack_requests.command("U0SAM", "/incident", f"{fake.url}/respond/0")
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{sc.url}/slack/events", data=body, headers=slack_requests.signed(body)
        ) as resp:
            assert resp.status == 200, await resp.text()
        for _ in range(200):
            async with http.get(f"{fake.extra['control']}/last_view") as resp:
                view = await resp.json()
            if view:
                return dict(view)
            await asyncio.sleep(0.02)
    raise RuntimeError("safecontact did not open the incident view")


async def _settle(fake: procs.Proc) -> tuple[int, int]:
    """Wait for the after-ack work to finish: (views opened, users told it failed).

    The load is closed on the ack, so a server can ack faster than it opens forms; the
    backlog is waited for here and counted, so a fast ack that never opens a form
    does not pass for a fast server.
    """
    last: tuple[int, int] = (-1, -1)
    still = 0
    async with aiohttp.ClientSession() as http:
        while still < 10:  # unchanged for a second
            async with http.get(f"{fake.extra['control']}/stats") as resp:
                stats = await resp.json()
            now = (stats["methods"].get("views.open", 0), stats["responses"])
            still = still + 1 if now == last else 0
            last = now
            await asyncio.sleep(0.1)
    return last


async def _reset(fake: procs.Proc) -> None:
    async with aiohttp.ClientSession() as http:
        await http.post(f"{fake.extra['control']}/reset")


async def measure(workdir: Path, plan: procs.CpuPlan, *, runs: int, scale: float) -> dict[str, Any]:
    dbs = procs.Databases(workdir)
    log = workdir / "ack.log"
    fake = procs.start_fake_slack(plan.clients, log)
    servers: list[procs.Proc] = [fake]
    try:
        env = procs.serve_env(workdir, await dbs.fresh("sqlite"), fake)
        sc = procs.start_serve(env, plan.servers, log)
        servers.append(sc)
        await procs.wait_healthy(sc)
        view_file = workdir / "incident_view.json"
        view_file.write_text(json.dumps(await _opened_view(fake, sc)))
        bare = procs.start_bare(fake, view_file, plan.servers, log)
        servers.append(bare)
        await procs.wait_healthy(bare)
        response_url = f"{fake.url}/respond/1"

        def incident(i: int) -> tuple[str, str]:
            return slack_requests.command("U0SAM", "/incident", response_url), slack_requests.FORM

        points = []
        for c in CONCURRENCY:
            n = max(100, int({1: 300, 16: 1000, 64: 2000}[c] * scale))
            point = Point(c, n)
            for run in range(runs):
                order = [("safecontact", sc), ("bare", bare)]
                if run % 2:
                    order.reverse()
                row: dict[str, Any] = {"errors": 0}
                for name, proc in order:
                    url = f"{proc.url}/slack/events"
                    await drive(url, incident, n=max(50, n // 10), concurrency=c)  # warm-up
                    await _settle(fake)
                    await _reset(fake)
                    result = await drive(url, incident, n=n, concurrency=c)
                    opened, told = await _settle(fake)
                    row[f"{name}_p50"] = result.pct(50)
                    row[f"{name}_p99"] = result.pct(99)
                    row[f"{name}_opened"] = opened / n
                    row[f"{name}_told"] = told
                    row["errors"] += len(result.errors)
                    await _reset(fake)
                row["ratio_p50"] = row["safecontact_p50"] / row["bare_p50"]
                row["ratio_p99"] = row["safecontact_p99"] / row["bare_p99"]
                point.runs.append(row)
                await _reset(fake)
            points.append(point.summary())
        return {"points": points, "runs": runs}
    finally:
        for proc in reversed(servers):
            proc.stop()
        await dbs.drop_all()
