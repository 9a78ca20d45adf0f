"""`python -m bench` (what `make bench` runs): measure, then write docs/performance.md.

    python -m bench                       # everything, full size (about 20 minutes)
    python -m bench --quick               # smaller and fewer runs, for a first look
    python -m bench --only ack,scheduler  # some of: ack throughput scheduler startup memory

Needs PostgreSQL at SAFECONTACT_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test)
for the PostgreSQL figures; without it they are skipped and the doc says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import ack, procs, report, scheduler_scale, startup_memory, throughput

FIGURES = ("ack", "throughput", "scheduler", "startup", "memory")


def _machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    python = platform.python_version()
    return f"{os.cpu_count()} cores ({model or platform.machine()}), Python {python}"


async def run(args: argparse.Namespace) -> dict[str, Any]:
    only = set(args.only.split(",")) if args.only else set(FIGURES)
    unknown = only - set(FIGURES)
    if unknown:
        raise SystemExit(f"unknown figure(s): {', '.join(sorted(unknown))}")
    plan = procs.cpu_plan()
    backends = ["sqlite"]
    if await procs.pg_available():
        backends.append("postgresql")
    else:
        print("PostgreSQL not reachable: its figures are skipped", file=sys.stderr)
    quick = args.quick
    runs = args.runs or (3 if quick else 5)
    workdir = Path(tempfile.mkdtemp(prefix="safecontact-bench-"))
    print(f"bench: {plan.describe()}; scratch files in {workdir}", file=sys.stderr)
    results: dict[str, Any] = {}
    if "ack" in only:
        print("bench: ack latency ...", file=sys.stderr)
        results["ack"] = await ack.measure(workdir, plan, runs=runs, scale=0.25 if quick else 1.0)
    if "throughput" in only:
        print("bench: submission throughput ...", file=sys.stderr)
        results["throughput"] = await throughput.measure(
            workdir, plan, runs=3, n=400 if quick else 1000, backends=backends, profile=True
        )
    if "scheduler" in only:
        print("bench: scheduler at scale ...", file=sys.stderr)
        sizes = [10_000, 100_000] + ([] if quick else [1_000_000])
        results["scheduler"] = await scheduler_scale.measure(
            workdir,
            sizes=sizes,
            dues=[100, 1_000, 10_000] if not quick else [1_000],
            backends=backends,
        )
    if "startup" in only:
        print("bench: start-up ...", file=sys.stderr)
        results["startup"] = await startup_memory.startup(
            workdir, plan, runs=runs, backends=backends
        )
    if "memory" in only:
        print("bench: memory after many incidents ...", file=sys.stderr)
        results["memory"] = await startup_memory.memory(
            # one run: 10,000 reports take minutes, and RSS varies little between runs
            workdir,
            plan,
            incidents=2_000 if quick else 10_000,
            runs=1,
        )
    (workdir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(f"bench: raw results in {workdir / 'results.json'}", file=sys.stderr)
    return results


def _cpu_times() -> list[int]:
    """The machine's CPU counters (/proc/stat's first line); [] where there is none."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return []
    return [int(x) for x in stat.read_text().splitlines()[0].split()[1:]]


def _steal(before: list[int], after: list[int]) -> str:
    """The share of the machine's CPU time the hypervisor gave to other guests: a shared
    host's cores run slower when it is high, and the figures with them."""
    if len(before) < 8 or len(after) < 8:
        return "not recorded (no /proc/stat)"
    total = sum(after[:8]) - sum(before[:8])
    stolen = after[7] - before[7]
    return f"{100 * stolen / total:.1f}% of the machine's CPU time" if total else "0%"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(FIGURES)}")
    parser.add_argument("--runs", type=int, default=0, help="runs per figure (default 5; 3 quick)")
    parser.add_argument("--doc", type=Path, default=report.DOC, help="the document to update")
    args = parser.parse_args()
    load_before, cpu_before = os.getloadavg(), _cpu_times()
    results = asyncio.run(run(args))
    load_after, cpu_after = os.getloadavg(), _cpu_times()
    command = "make bench" if not sys.argv[1:] else "python -m bench " + shlex.join(sys.argv[1:])
    meta = {
        "machine": _machine(),
        "cpus": procs.cpu_plan().describe(),
        "command": command,
        # How busy the shared machine was (other work than the bench's own included).
        "load": f"{load_before[1]:.1f} before the run, {load_after[1]:.1f} at its end "
        f"(5-minute load average, {os.cpu_count()} cores)",
        "steal": _steal(cpu_before, cpu_after),
    }
    report.write(results, meta, args.doc)
    print(f"bench: wrote {args.doc}", file=sys.stderr)


if __name__ == "__main__":
    main()
