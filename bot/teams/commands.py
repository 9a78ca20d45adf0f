"""Messages to the bot: `incident`, `case`, `strategy` and `breach` (each with a reference
or name), `waiting`, `checkin`, `help`.

The same commands as Slack's slash commands, typed with or without the slash and in any
case. The table is the one list of what works: the help card and manifest.json's
commandLists are checked against it, so neither can offer a command that doesn't.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.teams.forms import render_form
from cards.render import render
from dialogs import breach, case_lookup, home, incident, monitoring, strategy, welfare
from dialogs.context import Ctx
from storage.models import StaffMember

# What a command answers with: one Adaptive Card.
Run = Callable[[Ctx, StaffMember, str], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str
    description: str
    run: Run


async def _incident(ctx: Ctx, actor: StaffMember, args: str) -> dict[str, Any]:
    return render_form(incident.form(ctx))


async def _case(ctx: Ctx, actor: StaffMember, args: str) -> dict[str, Any]:
    return render("teams", "case_summary", await case_lookup.lookup(ctx, query=args, actor=actor))


async def _strategy(ctx: Ctx, actor: StaffMember, args: str) -> dict[str, Any]:
    """The proposal form for the one person named; dialogs/ decides who may propose (s7)."""
    async with ctx.db.read() as session:
        who = await monitoring.find_person(session, args, usage="strategy")
    return render_form(await strategy.proposal_form(ctx, actor=actor, person_id=who.id))


async def _breach(ctx: Ctx, actor: StaffMember, args: str) -> dict[str, Any]:
    return render_form(await breach.form_for_query(ctx, actor=actor, query=args))


async def _waiting(ctx: Ctx, actor: StaffMember, args: str) -> dict[str, Any]:
    """What Slack's App Home shows; a Teams bot in personal scope has no home tab."""
    return render("teams", "home", await home.home(ctx, actor=actor))


async def _checkin(ctx: Ctx, actor: StaffMember, args: str) -> dict[str, Any]:
    return render("teams", "welfare_checkin", await welfare.start(ctx, actor=actor))


async def _help(ctx: Ctx, actor: StaffMember, args: str) -> dict[str, Any]:
    return help_card()


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("incident", "incident", "Report unacceptable or unreasonable behaviour", _incident),
        Command(
            "case",
            "case <reference or name>",
            "Look someone up before you answer them",
            _case,
        ),
        Command(
            "strategy",
            "strategy <reference or name>",
            "Propose a contact strategy (managers and authorisers)",
            _strategy,
        ),
        Command(
            "breach",
            "breach <reference or name>",
            "Record a breach of a contact strategy in force",
            _breach,
        ),
        Command(
            "waiting",
            "waiting",
            "What is waiting for you: reports to acknowledge, requests to authorise, "
            "disputes to decide",
            _waiting,
        ),
        Command("checkin", "checkin", "Tell me how you are; I'll point you to support", _checkin),
        Command("help", "help", "Show what I can do", _help),
    )
}


def parse(text: str) -> tuple[Command | None, str]:
    """(command, its argument) for a message; None when the first word is no command."""
    word, _, rest = text.strip().partition(" ")
    return COMMANDS.get(word.removeprefix("/").lower()), rest.strip()


def help_card(said: str = "") -> dict[str, Any]:
    commands = [{"usage": c.usage, "description": c.description} for c in COMMANDS.values()]
    return render("teams", "help", {"commands": commands, "said": said})
