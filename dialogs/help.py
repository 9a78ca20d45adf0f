"""`help`: what the bot can do, listed from the registry so it never offers a command that
doesn't work. Also the answer to anything that is not a command, on Teams."""

from __future__ import annotations

from dialogs.interactions import Card, Command, Reply, Turn
from dialogs.kinds import Template


def help_card(said: str = "") -> Card:
    from dialogs.registry import registry

    commands = [
        {"usage": c.usage, "description": c.description} for c in registry().commands.values()
    ]
    return Card(Template.HELP, {"commands": commands, "said": said})


async def _help(turn: Turn, args: str) -> Reply:
    return Reply(help_card())


INTERACTIONS = (Command("help", "help", "Show what I can do", _help, slack=False),)
