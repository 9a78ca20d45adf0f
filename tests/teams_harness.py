"""The real server on 127.0.0.1 with Teams on /api/messages, driven as the Emulator does.

`TeamsWorld` plays the Teams client's side: it posts activities with no token (the
server runs with dev=True and no app id), with `serviceUrl` pointing at a fake Bot
Connector that records what the bot sends. Forms are filled in from the card the bot
actually sent, input by input, the way a person would, and submitted as the
adaptiveCard/action invoke Teams makes for an Action.Execute.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from bot.runtime import Runtime
from bot.settings import Settings, StaffEntry
from storage.db import Database
from tests.fake_connector import Call, FakeConnector
from tests.slack_harness import assert_audit_intact
from tests.world import World, serve

SHARED = Path(__file__).resolve().parents[2] / "shared"
CARD_SCHEMA = SHARED / "schemas" / "adaptive-card-1.5.json"
BOT_ID = "28:safecontact-bot"
TENANT = "tenant-0001"

SAM, JO, ALEX, BEA, CASEY, ADA, NIA = (
    "aad-sam", "aad-jo", "aad-alex", "aad-bea", "aad-casey", "aad-ada", "aad-nia",
)  # fmt: skip
STRANGER = "aad-stranger"

DIRECTORY = [
    StaffEntry(name="Sam Patel", email="sam@example.org", roles=["staff"],
               manager="jo@example.org", teams_user_id=SAM),
    StaffEntry(name="Jo Reed", email="jo@example.org", roles=["staff", "manager"],
               manager="alex@example.org", teams_user_id=JO),
    StaffEntry(name="Alex Morgan", email="alex@example.org", roles=["manager", "authoriser"],
               head_of_business_services=True, teams_user_id=ALEX),
    StaffEntry(name="Bea Khan", email="bea@example.org", roles=["authoriser"],
               nominated_by="casey@example.org", nominated_on=date(2026, 1, 12),
               teams_user_id=BEA),
    StaffEntry(name="Casey Chief", email="casey@example.org", roles=["chief_executive"],
               teams_user_id=CASEY),
    StaffEntry(name="Ada Admin", email="ada@example.org", roles=["admin"], teams_user_id=ADA),
    StaffEntry(name="Nia Solo", email="nia@example.org", roles=["staff"], teams_user_id=NIA),
]  # fmt: skip
NAMES = {e.teams_user_id: e.name for e in DIRECTORY}
MESSAGE = "application/vnd.microsoft.activity.message"
CARD = "application/vnd.microsoft.card.adaptive"


def conversation(user: str) -> str:
    return f"a:personal-{user}"


# -- cards ----------------------------------------------------------------------------


def _schema_validator() -> Any:
    if not CARD_SCHEMA.exists():
        return None
    from jsonschema import Draft6Validator

    return Draft6Validator(json.loads(CARD_SCHEMA.read_text()))


_VALIDATOR = _schema_validator()
# Cards already found valid, by their JSON: the schema is large and a card is often seen
# several times (as sent, as answered, and again when a test ends), so each is checked once.
_VALID: set[str] = set()


def assert_valid_card(card: dict[str, Any]) -> None:
    """Adaptive Card 1.5 (skipped silently if ../shared is absent; the schema tests say so)."""
    assert card.get("type") == "AdaptiveCard" and card.get("version") == "1.5"
    assert card.get("fallbackText"), "every card has fallback text for notifications"
    key = json.dumps(card, sort_keys=True)
    if _VALIDATOR is not None and key not in _VALID:
        errors = sorted(_VALIDATOR.iter_errors(card), key=str)
        assert not errors, [e.message[:300] for e in errors[:3]]
        _VALID.add(key)


def elements(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every element and action of a card, depth first, into Action.ShowCard's card too."""
    for key in ("body", "items", "actions"):
        for item in card.get(key) or []:
            yield item
            yield from elements(item)
    for column in card.get("columns") or []:
        yield from elements(column)
    if isinstance(card.get("card"), dict):
        yield from elements(card["card"])


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in elements(card) if str(e.get("type", "")).startswith("Input.")]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in elements(card) if e.get("type") == "Action.Execute"]


_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<&])")
_BOLD = re.compile(r"(?<!\\)\*\*")


def _read(markdown: str) -> str:
    """Markdown as rendered: bold markers gone, backslash escapes shown as their character."""
    return _ESCAPE.sub(r"\1", _BOLD.sub("", markdown))


def visible(card: dict[str, Any]) -> str:
    """The card's words as a user reads them: markdown escapes undone, one line each."""
    lines = []
    for e in elements(card):
        if e.get("type") == "TextBlock":
            lines.append(_read(e["text"]))
        for fact in e.get("facts") or []:
            lines.append(f"{fact['title']}: {_read(fact['value'])}")
        for key in ("label", "title"):
            if e.get(key):
                lines.append(e[key])
        for choice in e.get("choices") or []:
            lines.append(choice["title"])
    return "\n".join(lines)


def _answer_for(element: dict[str, Any], answers: dict[str, Any], zone: ZoneInfo) -> Any:
    """What a person would leave in one input, given the neutral answers by field id."""
    ident = element["id"]
    part = re.match(r"^(.*)__(date|time|\d+)$", ident)
    base = part.group(1) if part else ident
    if base not in answers:
        return element.get("value", "")
    answer = answers[base]
    if answer is None:
        return ""
    if part and part.group(2) in ("date", "time"):
        when = datetime.fromtimestamp(int(answer), UTC).astimezone(zone)
        return when.date().isoformat() if part.group(2) == "date" else when.strftime("%H:%M")
    if part:  # one group of a grouped multi-select
        offered = {c["value"] for c in element.get("choices") or []}
        return ",".join(v for v in answer if v in offered)
    if isinstance(answer, list):
        return ",".join(answer)
    return str(answer)


def fill(card: dict[str, Any], answers: dict[str, Any], zone: str) -> tuple[str, dict[str, Any]]:
    """(verb, data) of the card's submit action with every input answered."""
    (action,) = [a for a in card.get("actions") or [] if a["type"] == "Action.Execute"]
    data = dict(action.get("data") or {})
    for element in inputs(card):
        data[element["id"]] = _answer_for(element, answers, ZoneInfo(zone))
    # answers for ids the card has no input for are sent too (forgery tests)
    known = {re.sub(r"__(date|time|\d+)$", "", e["id"]) for e in inputs(card)}
    data.update({k: v for k, v in answers.items() if k not in known})
    return action["verb"], data


# -- the world -------------------------------------------------------------------------


@dataclass
class TeamsWorld(World):
    url: str
    fake: FakeConnector
    db: Database
    runtime: Runtime
    http: aiohttp.ClientSession
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    # Activity ids are unique across worlds too, as Teams's are: a restarted server on
    # the same database must not take a new message for a copy of an old one.
    started: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def zone(self) -> str:
        return self.runtime.settings.policy.timezone

    def activity(self, user: str, kind: str, **extra: Any) -> dict[str, Any]:
        n = next(self._ids)
        return {
            "type": kind,
            "id": f"incoming-{self.started}-{n}",  # unique, as Teams: worlds share a database
            "timestamp": datetime.now(UTC).isoformat(),
            "channelId": "msteams",
            "serviceUrl": self.fake.url,
            "from": {"id": f"29:{user}", "name": NAMES.get(user, "Someone"), "aadObjectId": user},
            "recipient": {"id": BOT_ID, "name": "safecontact"},
            "conversation": {
                "id": conversation(user),
                "conversationType": "personal",
                "tenantId": TENANT,
            },
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "en-GB",
            **extra,
        }

    async def post(
        self, body: Any, *, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> tuple[int, Any]:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.http.post(f"{self.url}/api/messages", data=data, headers=hdrs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text

    async def say(self, user: str, text: str) -> dict[str, Any]:
        """Send a message; return the card the bot replied with."""
        before = len(self.fake.replies_in(conversation(user)))
        status, _ = await self.post(self.activity(user, "message", text=text, textFormat="plain"))
        assert status in (200, 201), status
        replies = self.fake.replies_in(conversation(user))
        assert len(replies) == before + 1, "the bot answers every message once"
        card = replies[-1].card
        assert_valid_card(card)
        return card

    async def install(self, user: str) -> tuple[int, Any]:
        """What Teams sends when a user adds the app in personal scope."""
        members = [{"id": BOT_ID, "name": "safecontact"}]
        return await self.post(self.activity(user, "conversationUpdate", membersAdded=members))

    async def invoke(
        self, user: str, verb: str, data: dict[str, Any], *, reply_to: str | None = None
    ) -> tuple[int, Any]:
        value = {
            "action": {"type": "Action.Execute", "id": f"a{verb}", "verb": verb, "data": data},
            "trigger": "manual",
        }
        body = self.activity(user, "invoke", name="adaptiveCard/action", value=value)
        if reply_to:
            body["replyToId"] = reply_to
        status, answer = await self.post(body)
        if (
            isinstance(answer, dict)
            and answer.get("type") == "application/vnd.microsoft.card.adaptive"
        ):
            assert_valid_card(answer["value"])
        return status, answer

    async def submit(
        self, user: str, card: dict[str, Any], answers: dict[str, Any]
    ) -> tuple[int, Any]:
        verb, data = fill(card, answers, self.zone)
        return await self.invoke(user, verb, data)

    async def click(self, user: str, card: dict[str, Any], title: str) -> tuple[int, Any]:
        (button,) = [b for b in buttons(card) if b["title"] == title]
        return await self.invoke(user, button["verb"], dict(button.get("data") or {}))

    async def open_form(self, user: str, card: dict[str, Any], title: str) -> dict[str, Any]:
        """Click a button that opens a form; return the form, posted below the card."""
        before = len(self.fake.replies_in(conversation(user)))
        status, answer = await self.click(user, card, title)
        assert status == 200 and answer["type"] == MESSAGE, answer
        replies = self.fake.replies_in(conversation(user))
        assert len(replies) == before + 1, answer["value"]
        form = replies[-1].card
        assert_valid_card(form)
        return form

    async def refused(self, user: str, verb: str, data: dict[str, Any]) -> str:
        """Invoke a button expecting a refusal: a message, and no form posted."""
        before = len(self.fake.replies_in(conversation(user)))
        status, answer = await self.invoke(user, verb, data)
        assert status == 200 and answer["type"] == MESSAGE, answer
        assert len(self.fake.replies_in(conversation(user))) == before, answer["value"]
        return str(answer["value"])

    def now(self, user: str, activity_id: str) -> dict[str, Any]:
        """A card in the user's chat as they see it now, after any updates in place."""
        activity = self.fake.conversations[conversation(user)][activity_id]
        return activity["attachments"][0]["content"]

    def cards_to(self, user: str, marker: str) -> list[Call]:
        """Proactive cards sent to the user whose notification text contains `marker`."""
        return [
            c for c in self.fake.sends_to(conversation(user)) if marker in c.card["fallbackText"]
        ]

    def assert_all_cards_valid(self) -> None:
        for card in self.fake.all_cards():
            assert_valid_card(card)


def teams_settings(db_url: str, **kw: Any) -> Settings:
    kw.setdefault("staff", DIRECTORY)
    return Settings(database_url=db_url, **kw)


async def start_server(
    settings: Settings, *, dev: bool = True, clock: Callable[[], Any] | None = None
) -> tuple[str, Runtime, Callable[[], Any]]:
    url, runtime, _, runner = await serve(settings, dev=dev, clock=clock)
    return url, runtime, runner.cleanup


async def start_teams(
    db_url: str,
    *,
    dev: bool = True,
    clock: Callable[[], Any] | None = None,
    **settings_kw: Any,
) -> tuple[TeamsWorld, Callable[[], Any]]:
    fake = FakeConnector()
    await fake.start()
    url, runtime, cleanup = await start_server(
        teams_settings(db_url, **settings_kw), dev=dev, clock=clock
    )
    http = aiohttp.ClientSession()
    world = TeamsWorld(url, fake, runtime.db, runtime, http)

    async def stop() -> None:
        await http.close()
        await cleanup()
        await fake.stop()

    return world, stop


@pytest.fixture
async def teams(fresh_db_url: str) -> AsyncIterator[TeamsWorld]:
    world, stop = await start_teams(fresh_db_url)
    try:
        yield world
        world.assert_all_cards_valid()
        await assert_audit_intact(world.db)
    finally:
        await stop()


# -- the incident form, as the Slack tests fill it -------------------------------------


def answers(**overrides: Any) -> dict[str, Any]:
    base = {
        "new_person_name": "Morgan Example",
        "occurred_at": int(datetime.now(UTC).timestamp()) - 3600,
        "channel": "telephone",
        "behaviours": ["abuse", "demand_updates"],
        "what_happened": "Called four times today shouting and swearing about their complaint.",
        "impact": "Shaken; I needed a break afterwards.",
        "actions_taken": ["warned", "ended_call"],
        "violence": "no",
        "known_needs": "Has told us they are hard of hearing.",
        "s4_explained": "yes",
        "s4_proportionate": "yes",
        "s4_communicated": "no",
        "s4_support": "yes",
        "s4_rationale": "na",
    }
    base.update(overrides)
    return base


async def open_incident_form(teams: TeamsWorld, user: str = SAM) -> dict[str, Any]:
    card = await teams.say(user, "incident")
    assert [b["verb"] for b in buttons(card)] == ["incident"]
    return card


async def report(teams: TeamsWorld, user: str = SAM, **overrides: Any) -> dict[str, Any]:
    """File a report through the form; return the confirmation card."""
    status, answer = await teams.submit(
        user, await open_incident_form(teams, user), answers(**overrides)
    )
    assert status == 200, answer
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Report saved" in visible(answer["value"]), visible(answer["value"])
    return answer["value"]
