"""Try safecontact without Slack or Teams: Microsoft's Web Chat on a local Direct Line.

An IT officer or a trainer opens http://127.0.0.1:3978/, chooses who they are from the
staff directory and talks to the Teams bot exactly as Teams would carry it: the page is
Microsoft's own Web Chat (npm `botframework-webchat`), speaking Direct Line 3.0 to this
server; user activities go into the same botbuilder CloudAdapter and SafecontactBot as
`POST /api/messages`, and what the bot sends comes back through Bot Connector endpoints
here (serviceUrl points at this server), into the right person's conversation.

Served only when no Slack or Teams credentials are configured, or with `--dev`, and only
to this computer (guard.py). The server imports this package to ask `wanted`, so it
imports nothing of botbuilder's here; app.py holds the rest.
"""

from __future__ import annotations

from bot.settings import Settings


def wanted(settings: Settings, *, dev: bool) -> bool:
    """The web chat is for trying the bot out: never beside a real platform, unless --dev."""
    return dev or not (settings.slack_enabled or settings.teams_app_configured)
