"""What each CLI command does; kept apart from argument parsing so tests can call them."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import signal
import socket
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from bot import audit_check, letters_commands, ops_commands, records_commands
from bot.runtime import Runtime
from bot.scheduler import run_due
from bot.server import create_app, prepare_database
from bot.settings import Settings
from cards.text import terminal
from storage import jobs as jobs_repo
from storage import migrate
from storage import staff as staff_repo

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


class CannotListen(Exception):
    """`serve` could not bind its address; str() is one line saying why and what to do.

    Its own exit code (cli.EXIT_CANNOT_LISTEN): a port in use is not a database fault.
    """

    def __init__(self, host: str, port: int, exc: OSError) -> None:
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            why = (
                f"port {port} is already in use on {host} (another safecontact, or another "
                "program, is listening there); stop it or choose another --port"
            )
        elif exc.errno == errno.EACCES:
            why = (
                f"no permission to listen on port {port} (ports below 1024 need root or "
                "the CAP_NET_BIND_SERVICE capability); choose a port above 1023"
            )
        elif exc.errno == errno.EADDRNOTAVAIL:
            why = f"{host} is not an address of this computer; check --host"
        else:
            why = exc.strerror or str(exc)
        super().__init__(f"cannot listen on {where}: {why}")


async def serve(settings: Settings, args: argparse.Namespace) -> int:
    from bot import webchat
    from bot.webchat import demo

    chat = webchat.wanted(settings, dev=args.dev)
    # cli.main has already put the demo office in, where it applies (demo.office).
    # The local web chat is for this computer: without --host, bind loopback only.
    local = args.dev or (chat and args.host is None)
    host = "127.0.0.1" if local else (args.host or "0.0.0.0")
    if args.dev and args.host not in (None, "127.0.0.1", "localhost"):
        print("safecontact: --dev binds 127.0.0.1 only; ignoring --host", file=sys.stderr)
    app = create_app(settings, dev=args.dev)
    # Bound before the app starts, so the web chat knows its address before the outbox
    # loop's first pass (and --port 0 gets a real port to print).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, args.port), family=family)
    except OSError as exc:
        raise CannotListen(host, args.port, exc) from exc
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    on_loopback = chat and host in ("127.0.0.1", "localhost", "0.0.0.0")
    if on_loopback:
        # Imported only when the web chat is served: it brings botbuilder with it.
        from bot.webchat import app as webchat_app

        webchat_app.announce(app, url)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.SockSite(runner, sock)
    await site.start()
    mode = " (development mode: unauthenticated Bot Framework traffic accepted)" if args.dev else ""
    print(f"safecontact listening on http://{host}:{port}{mode}", flush=True)
    if on_loopback:
        who = " (the bundled demo directory: fictional people)" if demo.is_demo(settings) else ""
        print(f"Open the local web chat on this computer: {url}/{who}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    return 0


async def demo_data(settings: Settings, args: argparse.Namespace) -> int:
    from bot.webchat import demo, demo_data

    if not demo.in_use(settings):  # cli.main put the demo office in where serve uses it
        print(
            "safecontact: demo-data loads fictional people and cases, so it runs only with "
            "the bundled demo directory (no configuration file, and no Slack or Teams "
            "credentials); it would otherwise put made-up incidents into a real office's "
            "case files",
            file=sys.stderr,
        )
        return 2
    runtime = Runtime(settings=settings, db=audit_check.database(settings))
    try:
        await prepare_database(runtime)
        print(await demo_data.load(runtime))
    finally:
        await runtime.db.dispose()
    return 0


async def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    db = audit_check.database(settings)
    try:
        await migrate.upgrade(db)
        print(f"database at revision {await migrate.current_revision(db)}")
    finally:
        await db.dispose()
    return 0


async def staff_list(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings=settings, db=audit_check.database(settings))
    try:
        await prepare_database(runtime)
        async with runtime.db.read() as session:
            people = await staff_repo.list_staff(session, include_removed=args.all)
            by_email = {p.email: p for p in people}
            rows = [
                (
                    p.name,
                    p.email,
                    ", ".join(sorted(p.role_names)) or "(left)",
                    by_email[p.manager_email].name
                    if p.manager_email in by_email
                    else (p.manager_email or "-"),
                    p.slack_user_id or "-",
                    p.teams_user_id or "-",
                )
                for p in people
            ]
    finally:
        await runtime.db.dispose()
    if not rows:
        print("The staff directory is empty: add [[staff]] entries to the configuration file.")
        return 0
    header = ("NAME", "EMAIL", "ROLES", "MANAGER", "SLACK", "TEAMS")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        line = "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        print(terminal(line))  # names from the directory file (cards/text.py)
    return 0


async def audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    db = audit_check.database(settings)
    try:
        await migrate.upgrade(db)
        verdict = await audit_check.verify(db)
    finally:
        await db.dispose()
    print(f"audit key: {db.audit.key_path}; anchors: {db.audit.anchor_path}")
    if verdict.ok:
        print(f"audit trail intact: {verdict.checked} events verified")
        return 0
    print(f"audit trail BROKEN at event {verdict.bad_seq}: {verdict.reason}", file=sys.stderr)
    for finding in verdict.findings:
        print(f"  {finding.line()}", file=sys.stderr)
    return 1


async def case_show(settings: Settings, args: argparse.Namespace) -> int:
    from cards.text import terminal
    from dialogs.case import file as case_file
    from dialogs.case.text import as_text
    from storage import people as people_repo

    db = audit_check.database(settings)
    try:
        await migrate.upgrade(db)
        async with db.read() as session:
            found = await people_repo.find(session, query=args.ref)
            if not found:
                print(f"No person or case matches '{terminal(args.ref)}'.", file=sys.stderr)
                return 1
            if len(found) > 1:
                who = terminal(args.ref)
                print(f"'{who}' matches {len(found)} people; give a case reference:")
                for person in found:
                    print(f"  {person.reference}  {terminal(person.name)}")
                return 1
            record = await case_file.full_record(
                session, person=found[0], zone=settings.policy.zone
            )
    finally:
        await db.dispose()
    if args.json:
        print(json.dumps(record, indent=2, default=str))
    else:
        # Names and what people wrote, to a terminal: no escape sequences (cards/text.py).
        print(terminal(as_text(record)))
    return 0


async def jobs_list(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings=settings, db=audit_check.database(settings))
    try:
        await migrate.upgrade(runtime.db)
        async with runtime.db.read() as session:
            rows = await jobs_repo.list_jobs(session, status=args.status, limit=1000)
            zone = settings.policy.zone
            table = [
                (
                    j.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                    j.status,
                    j.kind,
                    j.key,
                    str(j.attempts),
                )
                for j in rows
            ]
    finally:
        await runtime.db.dispose()
    if not table:
        print("No scheduled jobs.")
        return 0
    header = ("DUE", "STATUS", "KIND", "KEY", "TRIES")
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    for row in [header, *table]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return 0


async def jobs_run_due(settings: Settings, args: argparse.Namespace) -> int:
    runtime = Runtime(settings=settings, db=audit_check.database(settings))
    try:
        # For cron, every minute perhaps: no Slack lookups, the ids found before stand.
        await prepare_database(runtime, find_ids=False)
        runs = await run_due(runtime, at=args.at)
    finally:
        await runtime.db.dispose()
    if not runs:
        print("Nothing was due.")
    for run in runs:
        print(terminal(f"{run.outcome:6}  {run.kind:22}  {run.key}: {run.summary}"))
    return 1 if any(r.outcome == "failed" for r in runs) else 0


async def teams_package(settings: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.settings import ConfigError
    from bot.teams import package

    output = Path(args.output)
    try:
        manifest = package.build(
            settings,
            output=output,
            manifest_path=Path(args.manifest) if args.manifest else None,
        )
    except ConfigError as exc:
        print(f"safecontact: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {output}: bot {manifest['id']} on {manifest['validDomains'][0]}; "
        "upload it in Teams (Apps > Manage your apps > Upload an app)"
    )
    return 0


COMMANDS: dict[tuple[str, ...], Command] = {
    ("serve",): serve,
    ("db", "upgrade"): db_upgrade,
    ("staff", "list"): staff_list,
    ("audit", "verify"): audit_verify,
    ("case", "show"): case_show,
    ("teams-package",): teams_package,
    ("demo-data",): demo_data,
    ("jobs", "list"): jobs_list,
    ("jobs", "run-due"): jobs_run_due,
    **records_commands.COMMANDS,  # export-person, sar, retention, report, policy (s9)
    **letters_commands.COMMANDS,  # letters list, letters get
    **ops_commands.COMMANDS,  # doctor, backup, restore, staff link
}


def lookup(args: argparse.Namespace) -> Command:
    sub = next(
        (getattr(args, k) for k in vars(args) if k.endswith("_command") and getattr(args, k)),
        None,
    )
    key = (args.command, sub) if sub else (args.command,)
    return COMMANDS[key]
