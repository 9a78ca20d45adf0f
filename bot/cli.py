"""`safecontact`: the one command an operator needs."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy.engine import make_url

from bot import letters_commands, logging_setup, ops_commands, records_commands
from bot.arguments import iso_datetime
from bot.settings import ConfigError, Settings, load_settings
from dialogs.directory import DirectoryRefused
from storage.db import DatabaseUnavailable

log = logging.getLogger("safecontact")

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]

# What scripts and monitoring can rely on; README "Command line" lists the same.
EXIT_CHECK_FAILED = 1
EXIT_CONFIG_REFUSED = 2
EXIT_DATABASE_UNREACHABLE = 3
EXIT_CANNOT_LISTEN = 4
EXIT_CODES = """exit codes:
  0  success
  1  the command's check failed (audit verify found tampering, doctor found a problem,
     case show found no one or more than one, a backup or restore could not be done)
  2  the configuration was refused (a bad file, ids that disagree with the accounts
     found, or a directory that would remove every person)
  3  the database could not be reached
  4  serve could not listen on its address (the port is in use, or no permission)
  5  the audit key and the audit chain disagree (serve and every command that writes
     refuse, so nothing is written under the wrong key)"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="safecontact",
        description="Protect staff from unacceptable behaviour, fairly and lawfully.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the bot: Slack, Teams, health check and the loops")
    serve.add_argument(
        "--host",
        default=None,
        help="address to bind (default 0.0.0.0; 127.0.0.1 when the local web chat is on)",
    )
    serve.add_argument("--port", type=int, default=3978, help="port (default 3978)")
    serve.add_argument(
        "--dev",
        action="store_true",
        help="development mode: accept unauthenticated Bot Framework Emulator traffic, "
        "bind 127.0.0.1 only",
    )
    serve.add_argument(
        "--log-format",
        choices=logging_setup.FORMATS,
        default="text",
        help="text lines (default) or one JSON object a line, each with its request id",
    )

    sub.add_parser(
        "demo-data",
        help="load a small fictional history into the database, for trying the bot out "
        "(only with the bundled demo directory: no configuration file)",
    )

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply the database migrations")

    staff = sub.add_parser("staff", help="the staff directory")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    staff_list = staff_sub.add_parser("list", help="show the directory as the bot sees it")
    staff_list.add_argument("--all", action="store_true", help="include people who left")
    ops_commands.add_parsers(sub, staff_sub)  # doctor, backup, restore, staff link

    audit = sub.add_parser("audit", help="the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    audit_sub.add_parser("verify", help="check the hash chain; non-zero exit if tampered")

    jobs = sub.add_parser("jobs", help="scheduled reminders and follow-ups")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_list = jobs_sub.add_parser("list", help="show the scheduled jobs")
    jobs_list.add_argument(
        "--status", choices=("pending", "done", "failed"), help="only jobs with this status"
    )
    run_due = jobs_sub.add_parser(
        "run-due", help="run what is due once and say what was done (for cron, and for testing)"
    )
    run_due.add_argument(
        "--at",
        type=iso_datetime,
        default=None,
        help="act as if it were this time (ISO 8601, e.g. 2026-12-01T09:30+00:00)",
    )

    case = sub.add_parser("case", help="case files")
    case_sub = case.add_subparsers(dest="case_command", required=True, metavar="ACTION")
    show = case_sub.add_parser("show", help="everything held on a person or case")
    show.add_argument("ref", help="case reference (SC-2026-00042) or a name")
    show.add_argument("--json", action="store_true", help="print JSON")

    package = sub.add_parser(
        "teams-package", help="build the Teams app package (manifest and icons) to upload"
    )
    package.add_argument(
        "--output", default="safecontact-teams.zip", help="zip to write (default %(default)s)"
    )
    package.add_argument(
        "--manifest",
        default=None,
        help="manifest template (default: bot/teams/manifest.json, shipped with safecontact)",
    )
    records_commands.add_parsers(sub)  # export-person, sar, retention, report, policy (s9)
    letters_commands.add_parsers(sub)  # letters list, letters get
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        # `safecontact` alone: the list of commands, not argparse's "COMMAND is required".
        _parser().print_help()
        return 0
    args = _parser().parse_args(argv)
    logging_setup.configure(getattr(args, "log_format", "text"))
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"safecontact: {exc}", file=sys.stderr)
        return EXIT_CONFIG_REFUSED
    from bot import audit_check, commands
    from bot.webchat import demo

    # Every command reads the directory `serve` reads (issue 12): the demo office included.
    settings = demo.office(settings, dev=getattr(args, "dev", False))

    handler: Command = commands.lookup(args)
    try:
        return asyncio.run(handler(settings, args))
    except KeyboardInterrupt:
        return 130
    except audit_check.AuditKeyMismatch as exc:
        print(f"safecontact: {exc}", file=sys.stderr)
        return audit_check.EXIT_KEY_MISMATCH
    except DirectoryRefused as exc:
        for line in exc.lines:
            print(f"safecontact: the staff directory was refused: {line}", file=sys.stderr)
        return EXIT_CONFIG_REFUSED
    except commands.CannotListen as exc:
        print(f"safecontact: {exc}", file=sys.stderr)
        return EXIT_CANNOT_LISTEN
    except (DatabaseUnavailable, OSError) as exc:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        print(f"safecontact: cannot reach the database ({where}): {exc}", file=sys.stderr)
        return EXIT_DATABASE_UNREACHABLE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
