"""Who may post to /api/messages.

With MICROSOFT_APP_ID set the SDK validates the Bot Framework token, and a request
without a valid one is refused before anything runs. With no app id, unauthenticated
activities are accepted only in development mode (`serve --dev`, the Emulator);
otherwise the endpoint refuses every activity.
"""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE
from typing import Any

from sqlalchemy import func, select

from storage.models import Incident, OutboxMessage, TeamsConversationRef, WelfareCheckIn
from tests.slack_harness import SlackWorld
from tests.teams_harness import SAM, TeamsWorld, start_teams

APP_ID = "11111111-2222-3333-4444-555555555555"


async def nothing_changed(world: TeamsWorld) -> None:
    assert world.fake.calls == []
    async with world.db.read() as session:
        for model in (Incident, OutboxMessage, TeamsConversationRef, WelfareCheckIn):
            total = (await session.execute(select(func.count()).select_from(model))).scalar_one()
            assert total == 0, model


def attempts(world: TeamsWorld) -> list[dict[str, Any]]:
    return [
        world.activity(SAM, "message", text="checkin"),
        world.activity(SAM, "conversationUpdate", membersAdded=[{"id": "28:safecontact-bot"}]),
        world.activity(
            SAM,
            "invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": "welfare_ok", "data": {}}},
        ),
    ]


async def test_with_an_app_id_a_request_without_a_valid_token_gets_401(fresh_db_url: str) -> None:
    world, stop = await start_teams(
        fresh_db_url, dev=True, microsoft_app_id=APP_ID, microsoft_app_password="secret"
    )
    try:
        for body in attempts(world):
            for headers in (
                {},
                {"Authorization": "Bearer not-a-jwt"},
                {"Authorization": "Basic x"},
            ):
                status, answer = await world.post(body, headers=headers)
                assert status == 401, (body["type"], headers, answer)
        await nothing_changed(world)
    finally:
        await stop()


async def test_without_dev_and_without_an_app_id_every_activity_is_refused(
    fresh_db_url: str,
) -> None:
    world, stop = await start_teams(fresh_db_url, dev=False)
    try:
        for body in attempts(world):
            status, answer = await world.post(body)
            assert status == 401
            assert "no Microsoft app id" in answer["error"]
        await nothing_changed(world)
    finally:
        await stop()


async def test_in_dev_mode_the_emulator_needs_no_token(teams: TeamsWorld) -> None:
    card = await teams.say(SAM, "checkin")
    assert card["fallbackText"] == "How are you doing?"
    assert teams.fake.calls[-1].authorization is None  # and the bot sends none back


async def test_a_slack_only_server_refuses_activities_without_loading_botbuilder(
    slack: SlackWorld,
) -> None:
    """Slack configured, Teams not: /api/messages still answers 401, and the server never
    imported botbuilder (a fifth of start-up) to say so."""
    async with slack.http.post(
        f"{slack.url}/api/messages",
        json={"type": "message", "text": "checkin", "from": {"id": "29:sam"}},
    ) as resp:
        assert resp.status == 401
        assert "no Microsoft app id" in (await resp.json())["error"]
    # In a fresh interpreter, since this one has loaded botbuilder for other tests.
    script = (
        "import sys\n"
        "from bot.server import create_app\n"
        "from tests.slack_harness import settings_for\n"
        "create_app(settings_for('sqlite+aiosqlite:///unused.db', 'http://127.0.0.1:9/api/'))\n"
        "print(sorted(m for m in sys.modules if m.startswith('botbuilder')))\n"
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "[]", out.decode()
