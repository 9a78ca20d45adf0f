"""The records commands: subject access, retention, the oversight report and policy coverage.

`add_parsers` adds them to the `safecontact` parser and `COMMANDS` maps them to their
functions, so bot/cli.py and bot/commands.py each register them in one line. The rules
live in dialogs/records/ and dialogs/policy_map.py; this module reads arguments, opens
the database, writes files and prints.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import getpass
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot import audit_check
from bot.arguments import iso_datetime
from bot.settings import Settings
from cards.text import json_text, terminal
from dialogs import policy_map
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.errors import DomainError
from dialogs.records import sar_rules
from dialogs.records.months import Month
from storage import migrate
from storage import people as people_repo
from storage.models import Person

if TYPE_CHECKING:
    from dialogs.records import redact
    from dialogs.records.report import view

# The records code (export, SAR, retention, the oversight report) is imported by the
# command that runs it, not by every start of `safecontact serve` (docs/performance.md).

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]


def actor() -> str:
    """Who ran the command, as the audit trail records it: the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"[:100]
    except (KeyError, OSError):
        return "cli"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date; write it as YYYY-MM-DD"
        ) from None


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parsers(sub: Any) -> None:
    """The records commands, on the `safecontact` subcommand parser."""
    exp = sub.add_parser(
        "export-person",
        help="subject access: write everything held about a person to DIR (data.json, index.html)",
    )
    exp.add_argument("ref", help="case reference (SC-2026-00042) or a name")
    exp.add_argument("--out", required=True, help="directory to write into (created if needed)")
    exp.add_argument("--force", action="store_true", help="overwrite an earlier export in DIR")

    sar_p = sub.add_parser("sar", help="subject access requests and their one-month deadline")
    sar_sub = sar_p.add_subparsers(dest="sar_command", required=True, metavar="ACTION")
    opened = sar_sub.add_parser("open", help="record a request; its due date is one month on")
    opened.add_argument("ref", help="case reference (SC-2026-00042) or a name")
    opened.add_argument(
        "--received", type=_day, default=None, help="date it arrived (default today)"
    )
    closed = sar_sub.add_parser("close", help="close a request once answered")
    closed.add_argument("ref", nargs="?", help="case reference or name (or give --id)")
    closed.add_argument("--id", type=int, default=None, help="the request's number")
    closed.add_argument(
        "--outcome", choices=sar_rules.OUTCOMES, default="answered", help="default %(default)s"
    )
    closed.add_argument("--on", type=_day, default=None, help="date answered (default today)")
    sar_sub.add_parser("list", help="open requests, soonest due first")

    ret = sub.add_parser("retention", help="retention of personal data (s9)")
    ret_sub = ret.add_subparsers(dest="retention_command", required=True, metavar="ACTION")
    purge = ret_sub.add_parser(
        "purge", help="anonymise cases and delete welfare answers past their retention period"
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="show what would happen; change nothing"
    )
    purge.add_argument(
        "--at",
        type=iso_datetime,
        default=None,
        help="act as if it were this time (ISO 8601), to see or test a purge to come",
    )

    rep = sub.add_parser("report", help="the monthly oversight report")
    rep.add_argument("--month", type=_month, default=None, help="YYYY-MM (default: last month)")
    rep.add_argument("--out", default=None, help="write report.json, report.csv and chart.png here")
    rep.add_argument(
        "--send", action="store_true", help="also send it to the authorisers and admins now"
    )

    sub.add_parser(
        "policy", help="each policy section, the features that carry it out and their tests"
    )


@asynccontextmanager
async def office(settings: Settings, *, at: datetime | None = None) -> AsyncIterator[Ctx]:
    """The database, brought up to date, and what the flows need to know of this run (as
    if it were `at`, for a command's --at)."""
    db = audit_check.database(settings)
    try:
        await migrate.upgrade(db)
        yield Ctx(
            db=db,
            organisation=settings.organisation,
            policy=settings.policy,
            now=at or datetime.now(UTC),
        )
    finally:
        await db.dispose()


async def one_person(session: Any, ref: str) -> Person | None:
    """The one person a reference or name finds; None, having said why on stderr, when it
    finds nobody or several (a command acts on one case only)."""
    found = await people_repo.find(session, query=ref)
    if not found:
        print(f"No person or case matches '{terminal(ref)}'.", file=sys.stderr)
        return None
    if len(found) > 1:
        who = terminal(ref)
        print(f"'{who}' matches {len(found)} people; give a case reference:", file=sys.stderr)
        for person in found:
            print(f"  {person.reference}  {terminal(person.name)}", file=sys.stderr)
        return None
    return found[0]


async def export_person(settings: Settings, args: argparse.Namespace) -> int:
    from dialogs.records import export, redact

    out = Path(args.out)
    targets = (out / "data.json", out / "index.html")
    if not args.force and any(t.exists() for t in targets):
        print(f"{out} already holds an export; give another --out or --force.", file=sys.stderr)
        return 1
    async with office(settings) as ctx:
        # Read in one transaction, so the export is a consistent picture of the case.
        async with ctx.db.read() as session:
            person = await one_person(session, args.ref)
            if person is None:
                return 1
            gathered = await export.gather(session, person=person, zone=ctx.zone)
        with _progress(gathered.total) as step:
            made = redact.redact(gathered, generated=ctx.now, zone=ctx.zone, on_record=step)
        html = _export_html(made, settings)
        await asyncio.to_thread(_write_export, out, made, html)
        try:
            async with change(ctx, actor()) as uow:
                await export.record_export(uow, person=gathered.person, export=made)
        except BaseException:
            # An export the audit trail does not record must not be left to be sent.
            for target in targets:
                target.unlink(missing_ok=True)
            raise
    print(
        f"wrote {targets[0]} and {targets[1]}: {made.total} records for {made.reference} "
        "(staff shown by role; no welfare data). Read it through before it is sent."
    )
    return 0


def _export_html(made: redact.Export, settings: Settings) -> str:
    from cards.records import render_export_html
    from dialogs.records import export_view

    return render_export_html(
        export_view.readable(made.data),
        export_view.sections(),
        organisation=settings.organisation.name,
    )


def _write_export(out: Path, made: redact.Export, html: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # The person's data as held, but no control or bidi character raw (cards/text.py).
    dumped = json.dumps(made.data, indent=2, ensure_ascii=False, default=str)
    (out / "data.json").write_text(json_text(dumped) + "\n", encoding="utf-8")
    (out / "index.html").write_text(html, encoding="utf-8")


class _progress:
    """A rich progress bar on stderr for large exports; nothing for small ones."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.bar: Any = None

    def __enter__(self) -> Callable[[], None]:
        from dialogs.records import export

        if self.total < export.LARGE_EXPORT:
            return lambda: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn("exporting"),
            BarColumn(),
            MofNCompleteColumn(),
            console=Console(stderr=True),
        )
        self.bar.start()
        task = self.bar.add_task("export", total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _refusals_printed(command: Command) -> Command:
    """A refusal by the rules (a date in the future, a request already closed) is printed
    and the command exits 1; nothing of its change is kept."""

    @functools.wraps(command)
    async def run(settings: Settings, args: argparse.Namespace) -> int:
        try:
            return await command(settings, args)
        except DomainError as exc:
            print(exc.message, file=sys.stderr)
            return 1

    return run


@_refusals_printed
async def sar_open(settings: Settings, args: argparse.Namespace) -> int:
    from dialogs.records import sar

    async with office(settings) as ctx, change(ctx, actor()) as uow:
        person = await one_person(uow.session, args.ref)
        if person is None:
            return 1
        request = await sar.open_request(uow, person=person, received_on=args.received or ctx.today)
        reference = person.reference
    print(
        f"Subject access request #{request.id} for {reference} received {request.received_on}; "
        f"answer by {request.due_on:%A %d %B %Y}."
    )
    return 0


@_refusals_printed
async def sar_close(settings: Settings, args: argparse.Namespace) -> int:
    from dialogs.records import sar

    if (args.ref is None) == (args.id is None):
        print("Give either a case reference or --id, not both.", file=sys.stderr)
        return 2
    async with office(settings) as ctx, change(ctx, actor()) as uow:
        person = None
        if args.ref is not None:
            person = await one_person(uow.session, args.ref)
            if person is None:
                return 1
        request, reference = await sar.close_request(
            uow,
            request_id=args.id,
            person=person,
            outcome=args.outcome,
            closed_on=args.on or ctx.today,
        )
    print(
        f"Subject access request #{request.id} for {reference} closed on {request.closed_on} "
        f"({request.outcome}); it was due {request.due_on}"
        + (", so it was late." if sar_rules.late(request) else ".")
    )
    return 0


async def sar_list(settings: Settings, args: argparse.Namespace) -> int:
    from dialogs.records import sar

    async with office(settings) as ctx, ctx.db.read() as session:
        found = await sar.open_requests(session)
    today = ctx.today
    if not found:
        print("No subject access requests are open.")
        return 0
    for item in found:
        r = item.request
        left = (r.due_on - today).days
        when = f"{-left} days OVERDUE" if left < 0 else f"{left} days left"
        print(f"#{r.id}  {item.reference}  received {r.received_on}  due {r.due_on}  ({when})")
    return 0


async def retention_purge(settings: Settings, args: argparse.Namespace) -> int:
    from dialogs.records import retention

    async with office(settings, at=args.at) as ctx:
        if args.dry_run:
            async with ctx.db.read() as session:
                planned = await retention.plan(session, now=ctx.now, policy=ctx.policy)
        else:
            async with change(ctx, actor()) as uow:
                planned = await retention.purge(uow)
    for line in planned.describe(settings.policy.zone):
        print(line)
    if args.dry_run:
        print("Dry run: nothing was changed.")
    else:
        print(
            f"Done: {len(planned.people)} cases anonymised, {planned.welfare_checkins} welfare "
            "check-ins deleted, in one transaction; recorded in the audit trail."
        )
    return 0


async def report_command(settings: Settings, args: argparse.Namespace) -> int:
    from dialogs.records.report import delivery, view
    from dialogs.records.report.figures import figures as report_figures

    async with office(settings) as ctx:
        month = args.month or Month.of(ctx.now, ctx.zone).shift(-1)
        async with ctx.db.read() as session:
            figures = await report_figures(session, month=month, now=ctx.now, policy=ctx.policy)
        if args.out:
            made = await view.files(figures)
            await asyncio.to_thread(_write_report, Path(args.out), figures, made)
        sent = 0
        if args.send:
            async with change(ctx, actor()) as uow:
                sent = await delivery.deliver(uow, month=month)
    print(terminal(report_text(view.card_model(figures))))
    if args.out:
        print(f"\nwrote report.json, report.csv and chart.png to {args.out}")
    if args.send:
        print(f"queued for {sent} authorisers and admins")
    return 0


def _write_report(out: Path, figures: dict[str, Any], made: view.Files) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    (out / "report.csv").write_bytes(made.csv)
    (out / "chart.png").write_bytes(made.png)


def report_text(model: dict[str, Any]) -> str:
    """The card's figures as plain text for the terminal."""
    lines = [model["title"], f"(as at {model['as_of']})", ""]
    width = max(len(f["label"]) for f in model["headline"])
    lines += [f"{f['label']:<{width}}  {f['value']}" for f in model["headline"]]
    for section in model["sections"]:
        lines += ["", section["title"]] + [f"  {line}" for line in section["lines"]]
    return "\n".join(lines)


async def policy(settings: Settings, args: argparse.Namespace) -> int:
    coverage = policy_map.coverage()
    print(policy_map.as_text(coverage), end="")
    found = policy_map.problems(coverage, policy_map.tests_dir_of_checkout())
    for section in found.unmapped:
        print(f"section {section}: nothing carries it out", file=sys.stderr)
    for module, test in found.missing_tests:
        print(f"{module} names {test}, which does not exist", file=sys.stderr)
    return 0 if found.ok else 1


COMMANDS: dict[tuple[str, ...], Command] = {
    ("export-person",): export_person,
    ("sar", "open"): sar_open,
    ("sar", "close"): sar_close,
    ("sar", "list"): sar_list,
    ("retention", "purge"): retention_purge,
    ("report",): report_command,
    ("policy",): policy,
}
