"""The real server on 127.0.0.1 with Slack enabled, driven by correctly signed requests.

`SlackWorld` plays Slack's side: it signs slash commands, interactivity payloads and
events the way Slack does, and builds view submissions from the view the bot actually
opened, so a test fills in a form the way a person would.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from bench import slack_requests
from bot.runtime import Runtime
from bot.server import prepare_database
from bot.settings import Settings, StaffEntry
from storage import audit
from storage.db import Database
from tests.fake_slack import FakeSlack
from tests.world import World, serve

SECRET = "test-signing-secret"

DIRECTORY = [
    StaffEntry(name="Sam Patel", email="sam@example.org", roles=["staff"],
               manager="jo@example.org", slack_user_id="U0SAM"),
    StaffEntry(name="Jo Reed", email="jo@example.org", roles=["staff", "manager"],
               manager="alex@example.org", slack_user_id="U0JO"),
    StaffEntry(name="Alex Morgan", email="alex@example.org", roles=["manager", "authoriser"],
               head_of_business_services=True, slack_user_id="U0ALEX"),
    StaffEntry(name="Bea Khan", email="bea@example.org", roles=["authoriser"],
               nominated_by="casey@example.org", nominated_on=date(2026, 1, 12),
               slack_user_id="U0BEA"),
    StaffEntry(name="Casey Chief", email="casey@example.org", roles=["chief_executive"],
               slack_user_id="U0CASEY"),
    StaffEntry(name="Ada Admin", email="ada@example.org", roles=["admin"],
               slack_user_id="U0ADA"),
    StaffEntry(name="Nia Solo", email="nia@example.org", roles=["staff"],
               slack_user_id="U0NIA"),
    StaffEntry(name="Pat Teams", email="pat@example.org", roles=["staff", "manager"]),
    StaffEntry(name="Lee Grant", email="lee@example.org", roles=["staff"],
               manager="pat@example.org", slack_user_id="U0LEE"),
]  # fmt: skip


def settings_for(db_url: str, api_url: str, **kw: Any) -> Settings:
    kw.setdefault("staff", DIRECTORY)
    return Settings(
        database_url=db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        **kw,
    )


@dataclass
class SlackWorld(World):
    url: str
    fake: FakeSlack
    db: Database
    runtime: Runtime
    http: aiohttp.ClientSession
    secret: str = SECRET
    _responses: int = field(default=0)

    # -- signing -----------------------------------------------------------------
    def headers(self, body: str, content_type: str, *, age: int = 0) -> dict[str, str]:
        return slack_requests.signed(body, secret=self.secret, content_type=content_type, age=age)

    async def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        hdrs = headers if headers is not None else self.headers(body, content_type)
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=hdrs) as resp:
            await resp.read()
            return resp

    async def post_json(self, body: str, content_type: str) -> tuple[int, Any]:
        hdrs = self.headers(body, content_type)
        async with self.http.post(f"{self.url}/slack/events", data=body, headers=hdrs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text

    # -- what Slack sends ---------------------------------------------------------
    def command_body(self, user: str, command: str, text: str = "") -> str:
        self._responses += 1
        return urlencode(
            {
                "token": "legacy",
                "team_id": "T1",
                "team_domain": "office",
                "channel_id": "C0GENERAL",
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": "A1",
                "response_url": self.fake.response_url(self._responses),
                "trigger_id": f"trigger-{self._responses}",
            }
        )

    async def command(self, user: str, command: str, text: str = "") -> tuple[int, Any]:
        return await self.post_json(
            self.command_body(user, command, text), "application/x-www-form-urlencoded"
        )

    async def interact(self, payload: dict[str, Any]) -> tuple[int, Any]:
        body = urlencode({"payload": json.dumps(payload)})
        return await self.post_json(body, "application/x-www-form-urlencoded")

    def submission(
        self, user: str, view: dict[str, Any], answers: dict[str, Any]
    ) -> dict[str, Any]:
        return slack_requests.submission(user, view, answers)

    async def submit(
        self, user: str, view: dict[str, Any], answers: dict[str, Any]
    ) -> tuple[int, Any]:
        return await self.interact(self.submission(user, view, answers))

    async def click(
        self,
        user: str,
        action_id: str,
        value: str,
        *,
        block_id: str = "b",
        message: dict[str, Any] | None = None,
        container: str = "message",
    ) -> tuple[int, Any]:
        self._responses += 1
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": user},
            "api_app_id": "A1",
            "trigger_id": f"trigger-{self._responses}",
            "response_url": self.fake.response_url(self._responses),
            "container": {"type": container},
            "channel": {"id": "D" + user[1:]},
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": f"1700000000.{self._responses:06d}",  # one per press, as Slack
                }
            ],
        }
        if message is not None:
            payload["message"] = message
        if container == "view":
            # A button on the App Home, as Slack sends it: no message, so no response_url.
            del payload["response_url"], payload["channel"]
            payload["container"] = {"type": "view", "view_id": "VHOME"}
            payload["view"] = {"id": "VHOME", "type": "home", "blocks": []}
        return await self.interact(payload)

    async def options(self, user: str, action_id: str, value: str) -> tuple[int, Any]:
        payload = {
            "type": "block_suggestion",
            "team": {"id": "T1"},
            "user": {"id": user},
            "api_app_id": "A1",
            "action_id": action_id,
            "block_id": action_id,
            "value": value,
            "view": {"id": "V1", "type": "modal", "callback_id": "incident"},
        }
        return await self.interact(payload)

    async def event(self, event: dict[str, Any]) -> tuple[int, Any]:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": "T1",
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": f"Ev{time.time_ns()}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return await self.post_json(body, "application/json")

    # -- what the bot did ---------------------------------------------------------
    async def home(self, user: str) -> dict[str, Any]:
        """Open the user's App Home and return the view the bot published for it."""
        before = len(self.fake.calls_to("views.publish"))
        await self.event({"type": "app_home_opened", "user": user, "tab": "home"})
        published = await self.eventually(
            lambda: self.fake.calls_to("views.publish")[before:], what=f"{user}'s home"
        )
        return published[0]["view"]

    async def restart_with(self, entries: list[StaffEntry]) -> None:
        """What `serve` does at start with an edited directory file, then its messages."""
        self.runtime.settings = self.runtime.settings.model_copy(update={"staff": entries})
        await prepare_database(self.runtime)
        self.runtime.outbox_wakeup.set()
        await self.settle()

    def last_view(self) -> dict[str, Any]:
        return self.fake.calls_to("views.open")[-1]["view"]

    async def form_behind(self, user: str, action_id: str, value: Any) -> dict[str, Any]:
        """Press a button and wait for the form it opens (a new views.open); its view."""
        before = len(self.fake.calls_to("views.open"))
        await self.click(user, action_id, str(value))
        return await self._opened_since(before, f"the form behind {action_id}")

    async def form_for(self, user: str, command: str, text: str = "") -> dict[str, Any]:
        """Type a slash command and wait for the form it opens; its view."""
        before = len(self.fake.calls_to("views.open"))
        status, _ = await self.command(user, command, text)
        assert status == 200
        return await self._opened_since(before, f"the form behind {command}")

    async def _opened_since(self, before: int, what: str) -> dict[str, Any]:
        return await self.eventually(
            lambda: len(self.fake.calls_to("views.open")) > before and self.last_view(),
            what=what,
        )


async def launch(
    settings: Settings,
    *,
    clock: Callable[[], Any] | None = None,
    tune: Callable[[web.Application], None] | None = None,
) -> tuple[str, Runtime, web.Application, web.AppRunner]:
    """The real server on 127.0.0.1 as a Slack deployment runs it (no local web chat)."""
    return await serve(settings, dev=False, clock=clock, tune=tune)


async def start_world(
    db_url: str,
    *,
    clock: Callable[[], Any] | None = None,
    fake: FakeSlack | None = None,
    **settings_kw: Any,
) -> tuple[SlackWorld, Callable[[], Any]]:
    fake = fake or FakeSlack()
    api_url = await fake.start()
    settings = settings_for(db_url, api_url, **settings_kw)
    url, runtime, _, runner = await launch(settings, clock=clock)
    http = aiohttp.ClientSession()
    world = SlackWorld(url, fake, runtime.db, runtime, http)

    async def stop() -> None:
        await http.close()
        await runner.cleanup()
        await fake.stop()

    return world, stop


async def assert_audit_intact(db: Database) -> None:
    """The audit chain verifies, and every record is in the state its last event recorded:
    a flow that changes a record without auditing it fails here (issue 16)."""
    async with db.read() as s:
        verdict = await audit.verify(s)
    assert verdict.ok, [f.line() for f in verdict.findings]


@pytest.fixture
async def slack(fresh_db_url: str) -> AsyncIterator[SlackWorld]:
    world, stop = await start_world(fresh_db_url)
    try:
        yield world
        await assert_audit_intact(world.db)
    finally:
        await stop()
