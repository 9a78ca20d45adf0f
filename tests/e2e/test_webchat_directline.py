"""The local web chat's Direct Line 3.0, spoken as Web Chat speaks it, over HTTP.

The real server runs with no Slack or Teams credentials, so the web chat is on; these
tests are the browser's side: a token for a chosen person, the conversation, polling with
a watermark, posting messages and the postBack Web Chat makes for a card's button. The
bot behind it is the real Teams bot (CloudAdapter, SafecontactBot), and what it sends
comes back through the server's own Bot Connector endpoints, proactive cards included,
into the conversation of the person they are for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from bot.webchat import demo
from bot.webchat.cards import MARKER
from bot.webchat.conversations import Chatter
from bot.webchat.guard import SECRET_HEADER
from storage.models import (
    ContactStrategy,
    Incident,
    OutboxMessage,
    StaffMember,
    TeamsConversationRef,
)
from tests.e2e.test_slack_strategy import proposal
from tests.teams_harness import _answer_for, answers, assert_valid_card, inputs, start_server
from tests.webchat_secret import with_secret
from tests.world import drained

CARD = "application/vnd.microsoft.card.adaptive"


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == CARD
    return attachment["content"]


def text_of(card: dict[str, Any]) -> str:
    return "\n".join(str(e.get("text", "")) for e in walk(card) if e.get("type") == "TextBlock")


def submits(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The card's buttons as Web Chat sees them, by title."""
    return {e["title"]: e for e in walk(card) if e.get("type") == "Action.Submit"}


@dataclass
class Session:
    """One browser tab chatting as one person."""

    http: aiohttp.ClientSession
    url: str
    token: str
    conversation_id: str
    user_id: str
    watermark: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _at(self, path: str = "") -> str:
        return f"{self.url}/v3/directline/conversations/{self.conversation_id}{path}"

    async def start(self) -> tuple[int, dict[str, Any]]:
        async with self.http.post(
            f"{self.url}/v3/directline/conversations",
            json={"user": {"id": self.user_id}, "locale": "en-GB"},
            headers=self.headers,
        ) as resp:
            return resp.status, await resp.json()

    async def poll(self) -> list[dict[str, Any]]:
        """GET activities after the watermark; remembers the new one, as DirectLineJS does."""
        async with self.http.get(
            self._at(f"/activities?watermark={self.watermark}"), headers=self.headers
        ) as resp:
            assert resp.status == 200, await resp.text()
            body = await resp.json()
        assert isinstance(body["watermark"], str)
        self.watermark = body["watermark"]
        self.seen.extend(body["activities"])
        return body["activities"]

    async def post(self, activity: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        body = {
            "from": {"id": self.user_id, "role": "user"},
            "channelData": {"clientActivityID": f"client-{next(self._ids)}"},
            **activity,
        }
        async with self.http.post(self._at("/activities"), json=body, headers=self.headers) as resp:
            return resp.status, await resp.json()

    async def say(self, text: str) -> str:
        status, answer = await self.post({"type": "message", "text": text})
        assert status == 200, answer
        return answer["id"]

    async def press(self, button: dict[str, Any], values: dict[str, Any] | None = None) -> Any:
        """Web Chat's postBack for an Action.Submit: its data with the inputs merged in."""
        value = {**button["data"], **(values or {})}
        status, answer = await self.post(
            {"type": "message", "value": value, "channelData": {"postBack": True}}
        )
        assert status == 200, answer
        return answer

    def latest(self, activity_id: str) -> dict[str, Any]:
        """An activity as the person now sees it (the last version with that id)."""
        return [a for a in self.seen if a["id"] == activity_id][-1]

    async def wait_for(
        self, check: Callable[[dict[str, Any]], bool], what: str, timeout: float = 10
    ) -> dict[str, Any]:
        """Poll until an activity (a new one, or a new version) satisfies `check`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for activity in await self.poll():
                if check(activity):
                    return activity
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.05)


@dataclass
class WebChatWorld:
    url: str
    http: aiohttp.ClientSession
    runtime: Runtime
    people: dict[str, Chatter]

    async def generate(self, user_id: str) -> tuple[int, dict[str, Any]]:
        async with self.http.post(
            f"{self.url}/v3/directline/tokens/generate", json={"user": {"id": user_id}}
        ) as resp:
            return resp.status, await resp.json()

    async def open(self, first_name: str) -> Session:
        """Choose a person on the page and open their chat."""
        chatter = self.people[first_name]
        status, granted = await self.generate(chatter.user_id)
        assert status == 200, granted
        assert granted["conversationId"] == chatter.conversation_id
        session = Session(
            self.http, self.url, granted["token"], granted["conversationId"], chatter.user_id
        )
        status, _ = await session.start()
        assert status in (200, 201)
        return session

    async def settle(self) -> None:
        await drained(self.runtime)


def demo_settings(db_url: str) -> Settings:
    return Settings(database_url=db_url, staff=demo.directory())


@pytest.fixture
async def chat(fresh_db_url: str) -> AsyncIterator[WebChatWorld]:
    settings = demo_settings(fresh_db_url)
    url, runtime, cleanup = await start_server(settings, dev=False)
    people = {
        e.name.split()[0].lower(): Chatter.from_entry(e) for e in settings.staff if e.teams_user_id
    }
    async with aiohttp.ClientSession() as first:
        headers = await with_secret(first, url)  # as the page gives it to the browser
    http = aiohttp.ClientSession(headers=headers)
    try:
        yield WebChatWorld(url, http, runtime, people)
    finally:
        await http.close()
        await cleanup()


def fill_values(card: dict[str, Any], given: dict[str, Any], zone: str) -> dict[str, Any]:
    """What Web Chat merges into the submit's data: every input's value, as a person left it."""
    return {e["id"]: _answer_for(e, given, ZoneInfo(zone)) for e in inputs(card)}


# -- the conversation -------------------------------------------------------------------


async def test_a_conversation_starts_with_the_bots_greeting_once(chat: WebChatWorld) -> None:
    sam = await chat.open("sam")
    (hello,) = await sam.poll()
    assert hello["from"]["role"] == "bot" and hello["type"] == "message"
    assert hello["conversation"]["id"] == sam.conversation_id
    card = card_of(hello)
    assert_valid_card(card)
    assert "What I can do" in text_of(card)
    assert card["speak"] == card["fallbackText"], "screen readers get the card's label"
    assert sam.watermark == "1"

    # Polling again with the watermark returns nothing new, and keeps the watermark.
    assert await sam.poll() == []
    assert sam.watermark == "1"
    # Opening the chat again (a new tab, a page reload) does not greet twice.
    status, session = await sam.start()
    assert status == 200 and session["conversationId"] == sam.conversation_id
    assert await sam.poll() == []
    # The bot now knows how to reach Sam: a conversation reference pointing at this server.
    async with chat.runtime.db.read() as db:
        ref = (await db.execute(select(TeamsConversationRef))).scalar_one()
    assert ref.conversation_id == sam.conversation_id
    assert ref.service_url == f"{chat.url}/webchat/connector"


async def test_a_message_is_echoed_then_answered_in_order(chat: WebChatWorld) -> None:
    sam = await chat.open("sam")
    await sam.poll()
    sent_id = await sam.say("incident")
    echo, reply = await sam.poll()
    assert echo["id"] == sent_id and echo["text"] == "incident"
    assert echo["from"] == {"id": sam.user_id, "name": "Sam Rivers", "role": "user"}
    assert echo["channelData"]["clientActivityID"].startswith("client-")
    form = card_of(reply)
    assert "Report an incident" in text_of(form)
    # Web Chat cannot click Action.Execute; each one became an Action.Submit that says
    # which verb and which card it stands for.
    assert not [e for e in walk(form) if e.get("type") == "Action.Execute"]
    (send,) = submits(form).values()
    assert send["title"] == "Send report"
    assert send["data"][MARKER] == {"verb": "incident", "card": reply["id"]}
    # Watermarks only move forward, and a reconnect with an old one replays from there.
    replay = Session(chat.http, chat.url, sam.token, sam.conversation_id, sam.user_id, "1")
    assert [a["id"] for a in await replay.poll()] == [echo["id"], reply["id"]]


async def test_a_submitted_form_is_replaced_and_the_manager_gets_the_card(
    chat: WebChatWorld,
) -> None:
    sam = await chat.open("sam")
    await sam.poll()
    await sam.say("incident")
    form_activity = (await sam.poll())[-1]
    form = card_of(form_activity)
    (send,) = submits(form).values()
    zone = chat.runtime.settings.policy.timezone
    await sam.press(send, fill_values(form, answers(new_person_name="Robin Placeholder"), zone))

    # As in Teams, the bot's answer replaces the form where it stood: same id, same time.
    saved = await sam.wait_for(lambda a: a["id"] == form_activity["id"], "the form's new version")
    assert saved["timestamp"] == form_activity["timestamp"]
    assert "Report saved" in text_of(card_of(saved))
    async with chat.runtime.db.read() as db:
        incident = (await db.execute(select(Incident))).scalar_one()
        sam_row = (
            await db.execute(select(StaffMember).where(StaffMember.name == "Sam Rivers"))
        ).scalar_one()
    assert incident.reporter_id == sam_row.id

    # Jo has never opened the chat; the card still reaches her, proactively, through the
    # outbox and the Bot Connector endpoints, in her own conversation.
    await chat.settle()
    jo = await chat.open("jo")
    cards = [card_of(a) for a in await jo.poll() if a.get("attachments")]
    incident_cards = [c for c in cards if c["fallbackText"].startswith("Incident report")]
    assert len(incident_cards) == 1
    assert "Robin Placeholder" in json.dumps(incident_cards[0])
    assert "Acknowledge" in submits(incident_cards[0])
    # ...and not in Sam's, who gets the receipt and the welfare check-in instead.
    mine = [card_of(a) for a in await sam.poll() if a.get("attachments")]
    assert {c["fallbackText"] for c in mine} >= {
        "Thank you for reporting that. How are you after this?"
    }
    assert not [c for c in mine if c["fallbackText"].startswith("Incident report")]


async def test_acknowledge_shows_the_answer_and_updates_the_card_in_place(
    chat: WebChatWorld,
) -> None:
    sam = await chat.open("sam")
    await sam.say("incident")
    form_activity = (await sam.poll())[-1]
    form = card_of(form_activity)
    zone = chat.runtime.settings.policy.timezone
    await sam.press(next(iter(submits(form).values())), fill_values(form, answers(), zone))
    await chat.settle()

    jo = await chat.open("jo")
    card_activity = next(
        a
        for a in await jo.poll()
        if a.get("attachments") and card_of(a)["fallbackText"].startswith("Incident report")
    )
    await jo.press(submits(card_of(card_activity))["Acknowledge"])
    note = await jo.wait_for(lambda a: a.get("text", "").startswith("Acknowledged"), "the note")
    assert note["from"]["role"] == "bot" and note["replyToId"] == card_activity["id"]
    await chat.settle()
    updated = await jo.wait_for(lambda a: a["id"] == card_activity["id"], "the updated card")
    card = card_of(updated)
    assert "Acknowledged by Jo Fielding" in text_of(card)
    assert "Acknowledge" not in submits(card)
    assert updated["timestamp"] == card_activity["timestamp"], "shown where it was"
    async with chat.runtime.db.read() as db:
        rows = (
            await db.execute(select(OutboxMessage).where(OutboxMessage.kind == "update"))
        ).scalars()
        assert [r.status for r in rows] == ["sent"]


async def test_a_proactive_message_needs_no_open_chat(chat: WebChatWorld) -> None:
    """Anyone in the directory can be reached once the web chat is in use: the bot is
    added to their chat (a conversationUpdate), as an organisation-wide install does in
    Teams, and the message is there, after the greeting, when they first look."""
    sam = await chat.open("sam")
    await sam.say("checkin")
    checkin = card_of((await sam.poll())[-1])
    await sam.press(submits(checkin)["I'd like to talk to my manager"])
    await chat.settle()
    jo = await chat.open("jo")
    activities = await jo.poll()
    cards = [card_of(a) for a in activities if a.get("attachments")]
    assert cards[0]["fallbackText"] == "What I can do", "greeted once, first"
    assert [c for c in cards[1:] if "Sam Rivers" in json.dumps(c)], [
        c["fallbackText"] for c in cards
    ]
    assert [c["fallbackText"] for c in cards].count("What I can do") == 1
    # Jo's reference was stored by the install, pointing at this server's connector.
    async with chat.runtime.db.read() as db:
        refs = {
            r.conversation_id for r in (await db.execute(select(TeamsConversationRef))).scalars()
        }
    assert {sam.conversation_id, jo.conversation_id} <= refs


# -- who may do what ---------------------------------------------------------------------


async def test_a_token_opens_one_conversation_only(chat: WebChatWorld) -> None:
    sam = await chat.open("sam")
    jo = await chat.open("jo")
    stolen = Session(chat.http, chat.url, sam.token, jo.conversation_id, sam.user_id)
    async with chat.http.get(stolen._at("/activities"), headers=stolen.headers) as resp:
        assert resp.status == 403
    async with chat.http.get(sam._at("/activities")) as resp:
        assert resp.status == 401
    async with chat.http.get(sam._at("/activities"), headers={"Authorization": "Bearer x"}) as r:
        assert r.status == 403
    async with chat.http.post(
        f"{chat.url}/v3/directline/tokens/refresh", headers=sam.headers
    ) as resp:
        fresh = await resp.json()
    assert resp.status == 200 and fresh["token"] != sam.token
    assert fresh["conversationId"] == sam.conversation_id


async def test_the_browser_cannot_speak_for_someone_else(chat: WebChatWorld) -> None:
    """`from` in what the browser posts is ignored: the token says who is speaking."""
    sam = await chat.open("sam")
    jo = chat.people["jo"]
    await sam.post(
        {"type": "message", "text": "incident", "from": {"id": jo.user_id, "name": "Jo"}}
    )
    echo, reply = (await sam.poll())[-2:]
    assert echo["from"]["id"] == sam.user_id and echo["from"]["name"] == "Sam Rivers"
    form = card_of(reply)
    zone = chat.runtime.settings.policy.timezone
    value = {**next(iter(submits(form).values()))["data"], **fill_values(form, answers(), zone)}
    await sam.post({"type": "message", "value": value, "from": {"id": jo.user_id}})
    async with chat.runtime.db.read() as db:
        reporter = (
            await db.execute(
                select(StaffMember.name).join(Incident, Incident.reporter_id == StaffMember.id)
            )
        ).scalar_one()
    assert reporter == "Sam Rivers"


async def test_anyone_not_in_the_directory_cannot_get_a_token(chat: WebChatWorld) -> None:
    for body in ({"user": {"id": "dl-nobody"}}, {"user": "sam"}, {}):
        async with chat.http.post(f"{chat.url}/v3/directline/tokens/generate", json=body) as resp:
            assert resp.status == 400, body
            assert "staff directory" in (await resp.json())["error"]["message"]


async def test_bad_requests_are_4xx_with_a_reason_and_change_nothing(chat: WebChatWorld) -> None:
    sam = await chat.open("sam")
    await sam.poll()
    cases: list[tuple[Any, str]] = [
        ({"type": "event", "name": "webchat/join"}, "Only messages"),
        ({"type": "message", "attachments": [{"contentType": "image/png"}]}, "files"),
        ({"type": "message", "text": "x" * 10_001}, "10000 characters"),
        ({"type": "message", "value": {MARKER: {"verb": "acknowledge", "card": "nope"}}}, "card"),
        ({"type": "message", "value": {MARKER: "forged"}}, "malformed"),
        ({"type": "message", "value": {MARKER: {"verb": "", "card": "x"}}}, "verb"),
    ]
    for body, reason in cases:
        status, answer = await sam.post(body)
        assert status == 400, (body, answer)
        assert reason in answer["error"]["message"], (body, answer)
    async with chat.http.post(
        sam._at("/activities"),
        data=b"{not json",
        headers={**sam.headers, "Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 400
    async with chat.http.post(sam._at("/upload"), headers=sam.headers) as resp:
        assert resp.status == 400
    async with chat.http.get(sam._at("/activities?watermark=abc"), headers=sam.headers) as resp:
        assert resp.status == 400
    assert await sam.poll() == [], "nothing reached the conversation"


async def test_typing_is_accepted_and_not_shown(chat: WebChatWorld) -> None:
    sam = await chat.open("sam")
    await sam.poll()
    status, _ = await sam.post({"type": "typing"})
    assert status == 200
    assert await sam.poll() == []


# -- the Bot Connector side ---------------------------------------------------------------


async def test_connector_calls_land_in_the_named_conversation(chat: WebChatWorld) -> None:
    """What botbuilder calls on a connector: create a personal chat, post, update."""
    secret = chat.http.headers[SECRET_HEADER]
    connector = f"{chat.url}/webchat/connector/{secret}/v3/conversations"
    bea = chat.people["bea"]
    async with chat.http.post(
        connector, json={"isGroup": False, "members": [{"id": bea.user_id}]}
    ) as resp:
        assert resp.status == 201
        conversation_id = (await resp.json())["id"]
    assert conversation_id == bea.conversation_id
    message = {"type": "message", "text": "hello from the bot"}
    async with chat.http.post(f"{connector}/{conversation_id}/activities", json=message) as resp:
        assert resp.status == 201
        posted = (await resp.json())["id"]
    edited = {"type": "message", "text": "edited in place"}
    async with chat.http.put(
        f"{connector}/{conversation_id}/activities/{posted}", json=edited
    ) as resp:
        assert resp.status == 200
    session = await chat.open("bea")
    shown = [a for a in await session.poll() if a["id"] == posted]
    assert [a["text"] for a in shown] == ["edited in place"], "only the latest version"
    assert shown[0]["from"]["role"] == "bot"
    async with chat.http.post(f"{connector}/webchat-unknown/activities", json=message) as resp:
        assert resp.status == 404
    async with chat.http.post(connector, json={"members": [{"id": "dl-nobody"}]}) as resp:
        assert resp.status == 400


async def test_an_authorisation_is_decided_on_its_card_and_every_copy_updates(
    chat: WebChatWorld,
) -> None:
    """Propose from the incident card, approve through the card's confirmation step (an
    Action.ShowCard holding the Action.Execute), and both authorisers' cards change."""
    sam = await chat.open("sam")
    await sam.say("incident")
    form = (await sam.poll())[-1]
    zone = chat.runtime.settings.policy.timezone
    await sam.press(
        next(iter(submits(card_of(form)).values())), fill_values(card_of(form), answers(), zone)
    )
    await chat.settle()

    jo = await chat.open("jo")
    incident_card = next(
        a
        for a in await jo.poll()
        if a.get("attachments") and "Incident report" in card_of(a)["fallbackText"]
    )
    await jo.press(submits(card_of(incident_card))["Propose contact strategy"])
    proposal_activity = await jo.wait_for(
        lambda a: bool(a.get("attachments")) and card_of(a)["fallbackText"] == "Propose a strategy",
        "the proposal form",
    )
    proposal_form = card_of(proposal_activity)
    given = proposal(restrictions=["single_method", "call_limit"])
    async with chat.runtime.db.read() as db:
        given["incidents"] = [str((await db.execute(select(Incident.id))).scalar_one())]
    await jo.press(
        next(iter(submits(proposal_form).values())), fill_values(proposal_form, given, zone)
    )
    sent = await jo.wait_for(lambda a: a["id"] == proposal_activity["id"], "the answer")
    assert "Proposal sent" in text_of(card_of(sent)), text_of(card_of(sent))
    await chat.settle()

    copies = {}
    for name in ("alex", "bea"):
        session = await chat.open(name)
        (copy,) = [
            a
            for a in await session.poll()
            if a.get("attachments") and "for approval" in card_of(a)["fallbackText"]
        ]
        copies[name] = (session, copy)
    bea, card = copies["bea"]
    (confirm,) = [b for t, b in submits(card_of(card)).items() if t == "Yes, approve"]
    assert confirm["data"][MARKER]["card"] == card["id"], "the button inside the ShowCard"
    await bea.press(confirm)
    note = await bea.wait_for(lambda a: a.get("text", "").startswith("Approved"), "the note")
    assert note["replyToId"] == card["id"]
    await chat.settle()
    for name, (session, copy) in copies.items():
        # Bea's update may have come in the same poll as her note, read while waiting for it.
        earlier = [a for a in session.seen if a["id"] == copy["id"] and a is not copy]
        updated = (
            earlier[-1]
            if earlier
            else await session.wait_for(lambda a, c=copy: a["id"] == c["id"], f"{name}'s card")
        )
        assert "Yes, approve" not in submits(card_of(updated)), name
    async with chat.runtime.db.read() as db:
        (status,) = (await db.execute(select(ContactStrategy.status))).scalars().all()
    assert status == "approved"  # awaiting notice: in force once its letter is sent (s7)


async def test_the_page_lists_who_can_be_chosen(fresh_db_url: str) -> None:
    """Everyone in the directory with a Teams id; anyone without one is named as not
    listed, since the bot could not tell who they are."""
    staff = [*demo.directory(), {"name": "Lee Noid", "email": "lee@demo.example"}]
    url, _, cleanup = await start_server(
        Settings(database_url=fresh_db_url, staff=staff), dev=False
    )
    try:
        async with aiohttp.ClientSession() as http:
            headers = await with_secret(http, url)
            async with http.get(f"{url}/webchat/api/people", headers=headers) as resp:
                listed = await resp.json()
    finally:
        await cleanup()
    assert [p["name"] for p in listed["people"]] == [e["name"] for e in demo.directory()]
    assert listed["unavailable"] == [{"name": "Lee Noid", "reason": "no teams_user_id"}]
    sam = listed["people"][0]
    assert sam["roles"] == ["staff"] and sam["note"] == "reports incidents"
    assert sam["id"].startswith("dl-")
    assert not [e for e in demo.directory() if e["teams_user_id"] in json.dumps(listed)], (
        "Entra ids stay on the server"
    )
    assert listed["demo"] is True and listed["teams"] is False
