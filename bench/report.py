"""Write the figures into docs/performance.md, between `<!-- bench:NAME -->` markers.

Only the marked blocks are replaced, so the analysis written around them by hand
survives a re-run, and a block that was not measured this time keeps its old figures.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.loadgen import median

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def _ms(v: float) -> str:
    return f"{v:.1f} ms"


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def ack_block(r: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"Median of {r['runs']} runs; in each run both servers get a warm-up and then the same "
        "requests. Ratio = safecontact / bare bolt, taken per run. *Opened* is the share of "
        "requests whose form reached the fake Slack's views.open (worst run).",
        "",
        "| concurrency | requests | safecontact p50 | p99 | bare bolt p50 | p99 "
        "| ratio p50 | ratio p99 | opened (sc / bare) | errors | target ≤ 1.25× |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for p in r["points"]:
        ok = p["ratio_p50"] <= 1.25 and p["ratio_p99"] <= 1.25
        lines.append(
            f"| {p['concurrency']} | {p['requests']} | {_ms(p['safecontact_p50'])} | "
            f"{_ms(p['safecontact_p99'])} | {_ms(p['bare_p50'])} | {_ms(p['bare_p99'])} | "
            f"{p['ratio_p50']:.2f}× | {p['ratio_p99']:.2f}× | "
            f"{p['safecontact_opened']:.0%} / {p['bare_opened']:.0%} | {p['errors']} "
            f"| {_mark(ok)} |"
        )
    return "\n".join(lines)


def throughput_block(r: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"{r['n']} distinct valid reports per run at concurrency {r['concurrency']}, "
        "from the first submission until every report is stored and every outbox message "
        "it wrote (manager's card, receipt, welfare check-in) has reached the fake Slack.",
        "",
        "| database | runs | reports/s (median) | each run | server CPU per report | ack p50 "
        "| ack p99 | errors | sent twice | target |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for backend, b in r["backends"].items():
        each = ", ".join(f"{row['per_second']:.0f}" for row in b["runs"])
        target = (
            _mark(b["per_second"] >= 150 and b["errors"] == 0) + " (≥ 150/s, 0 errors)"
            if backend == "sqlite"
            else "none set"
        )
        lines.append(
            f"| {backend} | {len(b['runs'])} | {b['per_second']:.0f} | {each} "
            f"| {_ms(median([r['cpu_ms_per_report'] for r in b['runs']]))} "
            f"| {_ms(b['ack_p50'])} | {_ms(b['ack_p99'])} | {b['errors']} | {b['duplicates']} "
            f"| {target} |"
        )
    prof = r.get("profile")
    if prof:
        lines += [
            "",
            f"Where the time goes (py-spy, {prof['samples']} working samples of the serve "
            "process during one SQLite run, leaving out "
            f"{prof.get('waiting', 0)} that caught a thread blocked (the event loop in epoll, "
            "aiosqlite's thread waiting for work); self time by library, then the inclusive "
            "time of our own functions):",
            "",
            "| library (self time) | share | | our function (inclusive) | share |",
            "|---|---:|---|---|---:|",
        ]
        libs, ours = prof["by_library"][:12], prof["ours_inclusive"][:12]
        for i in range(max(len(libs), len(ours))):
            a = libs[i] if i < len(libs) else ("", None)
            b = ours[i] if i < len(ours) else ("", None)
            fa = f"{a[1]:.1f}%" if a[1] is not None else ""
            fb = f"{b[1]:.1f}%" if b[1] is not None else ""
            lines.append(
                f"| {a[0]} | {fa} | | `{b[0]}` | {fb} |" if b[0] else f"| {a[0]} | {fa} | | | |"
            )
        lines += ["", "Hottest functions by self time:", ""]
        lines += [f"- {share:.1f}% `{name}`" for name, share in prof["self"][:10]]
    driver = r.get("driver")
    if driver:
        lines += [
            "",
            "What one statement costs, layer by layer (`bench/driver_cost.py`, in one process "
            f"pinned to the servers' core; CPU per primary-key SELECT, median of "
            f"{driver['repeats']} × {driver['selects']:,}):",
            "",
            "| layer | CPU per statement |",
            "|---|---:|",
        ]
        lines += [f"| {layer} | {us:.0f} µs |" for layer, us in driver["layers"]]
        lines += [
            f"| a write transaction holding one statement (`storage.db.write`) "
            f"| {driver['write_transaction_us']:.0f} µs |",
            "",
            f"One report stored through `dialogs.incident.submit` alone (no Slack, no "
            f"delivery): {driver['report_statements']:.0f} statements, "
            f"{driver['report_cpu_ms']:.1f} ms CPU.",
        ]
    return "\n".join(lines)


def scheduler_block(r: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"`storage.jobs.claim_due` in a write transaction, batch of {r['batch']} "
        "(the scheduler's), "
        f"median of {r['repeats']} claims; *all due* claims every due job in one query, to show "
        "the cost follows the number due.",
        "",
        "| database | jobs stored | due | one batch | all due | target ≤ 50 ms |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for backend, b in r["backends"].items():
        for row in b["rows"]:
            lines.append(
                f"| {backend} | {row['stored']:,} | {row['due']:,} | {_ms(row['batch_ms'])} | "
                f"{_ms(row['all_due_ms'])} | {_mark(row['batch_ms'] <= 50)} |"
            )
    for backend, b in r["backends"].items():
        label = "EXPLAIN QUERY PLAN" if backend == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS)"
        lines += [
            "",
            f"{backend}, {label} of the claim at {b['plan_stored']:,} stored / 1,000 due:",
            "",
            "```",
            b["plan"],
            "```",
        ]
    return "\n".join(lines)


def startup_block(s: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"Median of {s['runs']} starts, spawn to first `/healthz` 200 (polled every 10 ms).",
        "",
        "| what | figure | target |",
        "|---|---:|---|",
    ]
    for backend, b in s["backends"].items():
        lines.append(
            f"| start-up, {backend} already at the current schema | {b['restart_s']:.2f} s "
            f"| {_mark(b['restart_s'] <= 2)} (≤ 2 s) |"
        )
        if b.get("first_start_s") is not None:
            lines.append(
                f"| first start, {backend} empty (runs every migration) "
                f"| {b['first_start_s']:.2f} s "
                f"| {_mark(b['first_start_s'] <= 2)} (≤ 2 s) |"
            )
    lines.append(
        f"| of which importing our modules and their libraries | {s['imports_s']:.2f} s | |"
    )
    return "\n".join(lines)


def memory_block(m: dict[str, Any], meta: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| what | figure | target |",
            "|---|---:|---|",
            f"| RSS of serve, idle after start | {m['idle_mb']:.0f} MB | |",
            f"| RSS of serve after {m['incidents']:,} incidents, all delivered "
            f"(median of {len(m['runs'])}) | {m['after_mb']:.0f} MB "
            f"| {_mark(m['after_mb'] <= 200)} (≤ 200 MB) |",
        ]
    )


def env_block(meta: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"- measured {meta['when']} on {meta['machine']}",
            f"- CPU plan: {meta['cpus']}",
            f"- command: `{meta['command']}`",
        ]
    )


def replace(doc: str, name: str, body: str) -> str:
    pattern = re.compile(rf"(<!-- bench:{name} -->\n)(?:.*?\n)?(<!-- /bench:{name} -->)", re.S)
    if not pattern.search(doc):
        return doc + f"\n<!-- bench:{name} -->\n{body}\n<!-- /bench:{name} -->\n"
    return pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), doc, count=1)


def write(results: dict[str, Any], meta: dict[str, Any], path: Path = DOC) -> None:
    doc = path.read_text() if path.exists() else "# Performance\n"
    meta = {**meta, "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    doc = replace(doc, "env", env_block(meta))
    if "ack" in results:
        doc = replace(doc, "ack", ack_block(results["ack"], meta))
    if "throughput" in results:
        doc = replace(doc, "throughput", throughput_block(results["throughput"], meta))
    if "scheduler" in results:
        doc = replace(doc, "scheduler", scheduler_block(results["scheduler"], meta))
    if "startup" in results:
        doc = replace(doc, "startup", startup_block(results["startup"], meta))
    if "memory" in results:
        doc = replace(doc, "memory", memory_block(results["memory"], meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc)
