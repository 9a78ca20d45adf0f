"""The operator's commands for going live: `staff link`, `doctor`, `backup`, `restore`.

`add_parsers` adds them to the `safecontact` parser and `COMMANDS` maps them to their
functions, so bot/cli.py and bot/commands.py each register them in one line. The work
is done in bot/doctor.py and bot/backup.py; this module reads arguments and prints.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot import audit_check
from bot.runtime import Runtime
from bot.settings import Settings
from cards.text import terminal

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def add_parsers(sub: Any, staff_sub: Any) -> None:
    staff_sub.add_parser(
        "link",
        help="find Slack ids by email now, and show who is reachable where (and who is not)",
    )
    sub.add_parser(
        "doctor",
        help="check the whole set-up (configuration, database, Slack, Teams, directory, "
        "outbox, jobs, audit); non-zero exit on any failure",
    )
    backup = sub.add_parser(
        "backup", help="copy the database to FILE, safely while the bot is running"
    )
    backup.add_argument("--out", required=True, help="the file to write")
    restore = sub.add_parser(
        "restore", help="replace the database with a backup, then verify its audit trail"
    )
    restore.add_argument("file", help="a file written by `safecontact backup`")
    restore.add_argument(
        "--force", action="store_true", help="overwrite a database that already holds records"
    )


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        print(terminal(line))  # names from the directory file (cards/text.py)


SLACK_HOW = {"given": "given in the file", "found": "found by email", "none": "no account found"}
TEAMS_HOW = {"given": "given in the file", "found": "found in the roster", "none": "not yet known"}


async def staff_link(settings: Settings, args: argparse.Namespace) -> int:
    from bot.server import prepare_database
    from dialogs import directory

    runtime = Runtime(settings=settings, db=audit_check.database(settings))
    try:
        await prepare_database(runtime)  # looks Slack ids up by email, as every start does
        async with runtime.db.read() as session:
            people = await directory.reach_of_staff(session)
    finally:
        await runtime.db.dispose()
    if not people:
        print("The staff directory is empty: add [[staff]] entries to the configuration file.")
        return 0
    slack_on, teams_on = settings.slack_enabled, settings.teams_app_configured
    rows = []
    nowhere = []
    for p in people:
        places = p.where(slack_on=slack_on, teams_on=teams_on)
        slack = f"{p.slack_id or '-'} ({SLACK_HOW[p.slack_how]})" if slack_on else "- (off)"
        teams = f"{p.teams_id or '-'} ({TEAMS_HOW[p.teams_how]})" if teams_on else "- (off)"
        if teams_on and p.teams_id and not p.teams_ready:
            teams = teams[:-1] + "; no chat yet)"
        rows.append(
            (
                p.name,
                p.email,
                slack,
                teams,
                ", ".join(places) or "NOWHERE",
            )
        )
        if not places:
            nowhere.append(p)
    _table(("NAME", "EMAIL", "SLACK", "TEAMS", "REACHABLE ON"), rows)
    print()
    if not (slack_on or teams_on):
        print("Neither Slack nor Teams is configured, so nobody can be messaged yet.")
        return 0
    if nowhere:
        print(f"{len(nowhere)} of {len(people)} cannot be reached on any platform:")
        for p in nowhere:
            advice = _advice(p, slack_on=slack_on, teams_on=teams_on)
            print(terminal(f"  {p.name} ({p.email}): {advice}"))
    else:
        print(f"All {len(people)} people in the directory can be reached.")
    return 0


def _advice(p: Any, *, slack_on: bool, teams_on: bool) -> str:
    hints = []
    if slack_on:
        hints.append("Slack has no account with this email (check the address)")
    if teams_on:
        hints.append(
            "Teams links them when they first message the bot or install it"
            if not p.teams_id
            else "Teams can reach them once they message the bot or install it"
        )
    return "; ".join(hints)


async def doctor(settings: Settings, args: argparse.Namespace) -> int:
    from bot import doctor as checks

    return await checks.run(settings, out=sys.stdout)


async def backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot import backup as backups

    return await backups.backup_command(settings, Path(args.out))


async def restore(settings: Settings, args: argparse.Namespace) -> int:
    from bot import backup as backups

    return await backups.restore_command(settings, Path(args.file), force=args.force)


COMMANDS: dict[tuple[str, ...], Command] = {
    ("staff", "link"): staff_link,
    ("doctor",): doctor,
    ("backup",): backup,
    ("restore",): restore,
}
