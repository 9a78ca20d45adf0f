"""`safecontact letters list REF` and `letters get ID`: the letters kept with a case.

`get` prints exactly what was kept (s7: the person is told in writing; what they were
told is the record): the kept HTML or plain text byte for byte, or the PDF made from
the kept HTML (cards/letter_pdf.py), in large print when asked (s5).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot.records_commands import office, one_person
from bot.settings import Settings
from cards.text import terminal
from storage import kept_letters
from storage import staff as staff_repo
from storage.models import Letter

Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]
FORMATS = ("pdf", "html", "txt")


def add_parsers(sub: Any) -> None:
    """The letters commands, on the `safecontact` subcommand parser."""
    letters = sub.add_parser("letters", help="the letters kept with a case")
    letters_sub = letters.add_subparsers(dest="letters_command", required=True, metavar="ACTION")
    listed = letters_sub.add_parser(
        "list", help="a case's letters, with when and how each was sent"
    )
    listed.add_argument("ref", help="case reference (SC-2026-00042) or a name")
    got = letters_sub.add_parser("get", help="write a letter exactly as it was kept")
    got.add_argument("id", type=int, help="the letter's number (from `letters list`)")
    got.add_argument("--format", choices=FORMATS, default="pdf", help="default %(default)s")
    got.add_argument("--out", required=True, help="file to write")
    got.add_argument(
        "--large-print", action="store_true", help="the large-print PDF (with --format pdf)"
    )


def sending(letter: Letter, names: dict[int, str]) -> str:
    """A letter's sending record in words (`dialogs.letters.record_sent` wrote it)."""
    if letter.sent_on is None:
        return "not recorded as sent"
    by = names.get(letter.sent_by_id or 0, "someone no longer in the directory")
    return f"sent {letter.sent_on:%d %b %Y} by {letter.sent_method}, recorded by {by}"


async def letters_list(settings: Settings, args: argparse.Namespace) -> int:
    async with office(settings) as ctx, ctx.db.read() as session:
        person = await one_person(session, args.ref)
        if person is None:
            return 1
        found = await kept_letters.of_person(session, person_id=person.id)
        names = await staff_repo.names(session)
    print(f"{person.reference}: {len(found)} letter{'s' if len(found) != 1 else ''}")
    for letter in found:
        written = letter.created_at.astimezone(ctx.zone)
        print(
            f"  #{letter.id}  {written:%d %b %Y}  {letter.kind}  {terminal(letter.subject)}  "
            f"({terminal(sending(letter, names))})"
        )
    return 0


def _made(letter: Letter, fmt: str, large_print: bool) -> bytes:
    if fmt == "html":
        return letter.html.encode()
    if fmt == "txt":
        return letter.text.encode()
    from cards.letter_pdf import pdf

    return pdf(letter.html, large_print=large_print)


async def letters_get(settings: Settings, args: argparse.Namespace) -> int:
    if args.large_print and args.format != "pdf":
        print(
            "--large-print makes the large-print PDF; the HTML and text are printed exactly "
            "as kept. Use --format pdf.",
            file=sys.stderr,
        )
        return 1
    async with office(settings) as ctx, ctx.db.read() as session:
        letter = await kept_letters.letter(session, letter_id=args.id)
    if letter is None:
        print(f"No letter #{args.id}. `safecontact letters list REF` lists them.", file=sys.stderr)
        return 1
    data = await asyncio.to_thread(_made, letter, args.format, args.large_print)
    out = Path(args.out)
    await asyncio.to_thread(out.write_bytes, data)
    print(f"wrote {out}: letter #{letter.id} ({letter.kind}) as {args.format}")
    return 0


COMMANDS: dict[tuple[str, ...], Command] = {
    ("letters", "list"): letters_list,
    ("letters", "get"): letters_get,
}
