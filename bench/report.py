"""Write the figures into docs/performance.md, between `<!-- bench:NAME -->` markers.

Only the marked blocks are replaced, so the analysis written around them by hand
survives a re-run, and a block that was not measured this time keeps its old figures.
"""

from __future__ import annotations

import json
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


CPU_TARGET_MS = {"sqlite": 5.0, "postgresql": 7.0}


def throughput_block(r: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"{r['n']} distinct valid reports per run at concurrency {r['concurrency']}, "
        "from the first submission until every report is stored and every outbox message "
        "it wrote (manager's card, receipt, welfare check-in) has reached the fake Slack. "
        "*Server CPU per report* is the serve process's CPU time over the run (every "
        "thread) divided by the reports; *hand-offs per write* is the server's own count "
        "(`/metrics`) of work handed to the database's thread, over its write transactions "
        "(the report's, and the outbox's claims and records).",
        "",
        "| database | runs | reports/s (median) | each run | server CPU per report "
        "| target | hand-offs per write | ack p50 | ack p99 | errors | sent twice |",
        "|---|---:|---:|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for backend, b in r["backends"].items():
        each = ", ".join(f"{row['per_second']:.0f}" for row in b["runs"])
        cpu = b.get("cpu_ms_per_report") or median([x["cpu_ms_per_report"] for x in b["runs"]])
        target = CPU_TARGET_MS.get(backend)
        mark = f"{_mark(cpu <= target)} (≤ {target:.0f} ms)" if target else "none set"
        if backend == "sqlite":
            rate_ok = b["per_second"] >= 150 and b["errors"] == 0
            mark += f"; {_mark(rate_ok)} (≥ 150/s, 0 errors)"
        handoffs = b.get("handoffs_per_write")
        lines.append(
            f"| {backend} | {len(b['runs'])} | {b['per_second']:.0f} | {each} | {_ms(cpu)} "
            f"| {mark} | {'' if handoffs is None else f'{handoffs:.2f}'} "
            f"| {_ms(b['ack_p50'])} | {_ms(b['ack_p99'])} | {b['errors']} | {b['duplicates']} |"
        )
    driver = r.get("driver")
    if driver:
        lines += _driver_lines(driver)
    prof = r.get("profile")
    if prof:
        lines += _profile_lines(prof, r)
    return "\n".join(lines)


def _driver_lines(driver: dict[str, Any]) -> list[str]:
    reports = driver["reports"]
    lines = [
        "",
        "What a statement and a report cost at each layer (`bench/driver_cost.py`, in one "
        "process pinned to the servers' core, SQLite, each figure the median of "
        f"{driver['repeats']} repeats). *Per statement*: CPU of one primary-key SELECT "
        f"(× {driver['selects']:,}). *One report*: CPU of `dialogs.incident.report.record` "
        "storing one report through that stack (no Slack, no delivery); for sqlite3 and "
        f"aiosqlite, the same {driver['report_statements']} statements sent straight to "
        "the driver.",
        "",
        "| layer | per statement | one report |",
        "|---|---:|---:|",
    ]
    for layer, statement, report in driver["layers"]:
        cost = "" if report is None else f"{report:.2f} ms"
        lines.append(f"| {layer} | {statement:.0f} µs | {cost} |")
    write = driver["write_transaction_us"]
    lines += [
        f"| a write transaction holding one statement, before | {write['before']:.0f} µs | |",
        f"| a write transaction holding one statement, now | {write['now']:.0f} µs | |",
        "",
        "| one report stored, through | statements | CPU | hand-offs per write transaction |",
        "|---|---:|---:|---:|",
    ]
    for stack, row in reports.items():
        lines.append(
            f"| {stack} | {row['statements']:.0f} | {row['cpu_ms']:.2f} ms "
            f"| {row['handoffs_per_write']:.0f} |"
        )
    parse = driver.get("parse")
    if parse:
        lines += [
            "",
            f"Reading one incident submission's body ({parse['body_bytes']:,} bytes, "
            f"{parse['escapes']:,} percent-escapes): bolt's `parse_qsl` and `json.loads` "
            f"{parse['bolt_us']:.0f} µs of CPU; `bot/slack/body.py` {parse['fast_us']:.0f} µs, "
            f"of which `json.loads` alone is {parse['json_us']:.0f} µs.",
        ]
    return lines


def _profile_lines(prof: dict[str, Any], r: dict[str, Any]) -> list[str]:
    cpu = median([x["cpu_ms_per_report"] for x in r["backends"]["sqlite"]["runs"]])
    lines = []
    if prof.get("layers"):
        lines += [
            "",
            f"Where one report's CPU goes now (SQLite; py-spy, {prof['samples']} working samples "
            "of one more run, each counted for the first of these layers on its stack; "
            f"ms = share × the {cpu:.1f} ms measured above):",
            "",
            "| layer | share | CPU per report |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {layer} | {share:.0f}% | {share * cpu / 100:.1f} ms |"
            for layer, share in prof["layers"].items()
        ]
    lines += [
        "",
        "The same samples by library (self time), and the inclusive time of our own "
        f"functions (leaving out {prof.get('waiting', 0)} samples of a thread blocked):",
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
    return lines


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


STARTUP_TARGET_S = 1.0
MEMORY_TARGET_MB = 150


def startup_block(s: dict[str, Any], meta: dict[str, Any]) -> str:
    lines = [
        f"Median of {s['runs']} starts, spawn to first `/healthz` 200 (polled every 10 ms).",
        "",
        "| what | figure | target |",
        "|---|---:|---|",
    ]
    for backend, b in s["backends"].items():
        each = ", ".join(f"{x:.2f}" for x in b["restart_all"])
        lines.append(
            f"| start-up, {backend} already at the current schema ({each}) "
            f"| {b['restart_s']:.2f} s | {_mark(b['restart_s'] <= STARTUP_TARGET_S)} "
            f"(≤ {STARTUP_TARGET_S:.1f} s) |"
        )
        if b.get("first_start_s") is not None:
            lines.append(
                f"| first start, {backend} empty (runs every migration, once an installation) "
                f"| {b['first_start_s']:.2f} s | none set |"
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
            f"| {_mark(m['after_mb'] <= MEMORY_TARGET_MB)} (≤ {MEMORY_TARGET_MB} MB) |",
        ]
    )


BEFORE = Path(__file__).resolve().parent / "before.json"


def _before() -> dict[str, Any]:
    return json.loads(BEFORE.read_text())["results"] if BEFORE.exists() else {}


def _cpu(throughput: dict[str, Any], backend: str) -> float | None:
    b = throughput.get("backends", {}).get(backend)
    if not b:
        return None
    return median([x["cpu_ms_per_report"] for x in b["runs"]])


def _worst_ack(ack: dict[str, Any]) -> str:
    if not ack:
        return ""
    p50 = max(p["ratio_p50"] for p in ack["points"])
    p99 = max(p["ratio_p99"] for p in ack["points"])
    return f"{p50:.2f}× / {p99:.2f}×"


def targets_block(results: dict[str, Any]) -> str:
    """Every target of issue 18, before and now, from the bench's own figures; written
    only by a run that measured them all (`write`)."""
    before = _before()
    t, bt = results.get("throughput", {}), before.get("throughput", {})
    rows: list[tuple[str, str, str, str, str]] = []

    def cpu_row(backend: str, target: float) -> None:
        now, was = _cpu(t, backend), _cpu(bt, backend)
        if now is not None:
            rows.append(
                (
                    f"CPU per report, {backend}",
                    f"≤ {target:.0f} ms",
                    _opt_ms(was),
                    _ms(now),
                    _mark(now <= target),
                )
            )

    cpu_row("sqlite", CPU_TARGET_MS["sqlite"])
    sq, bsq = t.get("backends", {}).get("sqlite"), bt.get("backends", {}).get("sqlite")
    if sq:
        rows.append(
            (
                "reports a second, SQLite, one core",
                "≥ 150/s, 0 errors (aim 300)",
                f"{bsq['per_second']:.0f}/s, {bsq['errors']} errors" if bsq else "",
                f"{sq['per_second']:.0f}/s, {sq['errors']} errors",
                _mark(sq["per_second"] >= 150 and sq["errors"] == 0),
            )
        )
    cpu_row("postgresql", CPU_TARGET_MS["postgresql"])
    driver = t.get("driver")
    if driver:
        reports = driver["reports"]
        now_parts = [f"SQLite {reports['now']['handoffs_per_write']:.0f} (in place)"]
        worst = reports["now"]["handoffs_per_write"]
        for stack in ("now, on a thread of its own", "now, postgresql"):
            if stack in reports:
                now_parts.append(
                    f"{stack.removeprefix('now, ')} {reports[stack]['handoffs_per_write']:.0f}"
                )
                worst = max(worst, reports[stack]["handoffs_per_write"])
        rows.append(
            (
                "driver hand-offs per write transaction (one report)",
                "1",
                f"{reports['before']['handoffs_per_write']:.0f} (aiosqlite)",
                "; ".join(now_parts),
                _mark(worst <= 1),
            )
        )
    ack = results.get("ack")
    if ack:
        ok = all(p["ratio_p50"] <= 1.25 and p["ratio_p99"] <= 1.25 for p in ack["points"])
        rows.append(
            (
                "ack against bare bolt, worst p50 / p99 ratio over concurrency 1, 16, 64",
                "≤ 1.25×",
                _worst_ack(before.get("ack", {})),
                _worst_ack(ack),
                _mark(ok),
            )
        )
    st, bst = results.get("startup"), before.get("startup", {})
    if st:
        for backend, b in st["backends"].items():
            was = bst.get("backends", {}).get(backend, {}).get("restart_s")
            rows.append(
                (
                    f"start to /healthz, {backend} at head",
                    f"≤ {STARTUP_TARGET_S:.1f} s",
                    "" if was is None else f"{was:.2f} s",
                    f"{b['restart_s']:.2f} s",
                    _mark(b["restart_s"] <= STARTUP_TARGET_S),
                )
            )
    mem, bmem = results.get("memory"), before.get("memory")
    if mem:
        rows.append(
            (
                f"RSS after {mem['incidents']:,} incidents",
                f"≤ {MEMORY_TARGET_MB} MB",
                f"{bmem['after_mb']:.0f} MB" if bmem else "",
                f"{mem['after_mb']:.0f} MB",
                _mark(mem["after_mb"] <= MEMORY_TARGET_MB),
            )
        )
    lines = [
        "| measure | target | before | now | |",
        "|---|---|---:|---:|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    when = json.loads(BEFORE.read_text())["measured"] if BEFORE.exists() else "?"
    lines += [
        "",
        f"*Before*: `bench/before.json`, the same bench on the code before this work "
        f"(measured {when}); the hand-offs row measures both stacks in this run.",
    ]
    speed = host_speed(t.get("driver"), bt.get("driver"))
    if speed:
        lines += ["", speed]
    return "\n".join(lines)


# The layers no change of ours touches: the standard library's driver, and aiosqlite.
UNCHANGED_LAYERS = (
    "sqlite3 (standard library, no event loop)",
    "aiosqlite (each call a hand-off to its thread)",
)


def host_speed(now: dict[str, Any] | None, before: dict[str, Any] | None) -> str:
    """How fast this host ran against the one `before.json` was measured on, read from
    the layers no change of ours touches, so that an absolute figure measured on a
    slower or busier host is read as that, by measurement rather than guess."""
    if not now or not before:
        return ""
    was = {layer: statement for layer, statement, *_ in before["layers"]}
    ratios = []
    for layer, statement, *_ in now["layers"]:
        if layer in UNCHANGED_LAYERS and was.get(layer):
            ratios.append((layer.split(" ", 1)[0], statement, was[layer], statement / was[layer]))
    if not ratios:
        return ""
    parts = ", ".join(
        f"{name} {now_us:.1f} against {was_us:.1f} µs a SELECT ({ratio:.2f}×)"
        for name, now_us, was_us, ratio in ratios
    )
    return (
        "*This host against the before run's*, on the layers no change of ours touches "
        f"(§2's layer table, same statement both times): {parts}. Above 1× this host is "
        "slower or busier, and every absolute figure here (CPU, rates, start-up) is "
        "dearer by about as much; the ratios (ack, hand-offs) are not."
    )


def _opt_ms(v: float | None) -> str:
    return "" if v is None else _ms(v)


def env_block(meta: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"- measured {meta['when']} on {meta['machine']}",
            f"- CPU plan: {meta['cpus']}",
            f"- machine load: {meta.get('load', 'not recorded')}",
            f"- CPU stolen by the hypervisor during the run: {meta.get('steal', 'not recorded')}",
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
    if {"ack", "throughput", "startup", "memory"} <= results.keys():
        doc = replace(doc, "targets", targets_block(results))
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
