"""Bad input, generated: what hypothesis throws at /slack/events and /api/messages.

Malformed JSON and form bodies, wrong types, huge fields, unknown ids, and forged,
stale and replayed signatures or tokens. Whatever arrives: never a 5xx, never a
traceback in the answer, and nothing stored (the Teams conversation reference a
directory member's message stores by design is the one table left out).

The servers run on their own event loop in a thread, started once for the module, so
hypothesis can drive them example by example from a plain test function. Examples are
derandomised and bounded, so the run is the same every time and takes seconds.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import func, select

from cards.ids import ActionId, FormName
from storage.db import Database
from storage.models import Base
from tests.slack_harness import SECRET, SlackWorld, start_world
from tests.teams_harness import JO, SAM, STRANGER, TeamsWorld, start_teams

T = TypeVar("T")
# Huge fields make huge reprs; hypothesis warns about printing them, which is fine here.
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
FUZZ = settings(
    max_examples=200,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Tables a request may legitimately touch without storing anything of the user's.
UNTOUCHED_EXCEPT = {"teams_conversation_refs"}
FORM = "application/x-www-form-urlencoded"


class ServerThread:
    """An event loop in a thread, for servers a synchronous test talks to."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class Servers:
    thread: ServerThread
    slack: SlackWorld
    teams: TeamsWorld

    def post(self, url: str, data: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async def go() -> tuple[int, str]:
            async with self.slack.http.post(url, data=data, headers=headers) as resp:
                return resp.status, await resp.text(errors="replace")

        return self.thread.run(go())

    def counts(self, db: Database) -> dict[str, int]:
        async def go() -> dict[str, int]:
            out = {}
            async with db.read() as session:
                for table in Base.metadata.sorted_tables:
                    if table.name not in UNTOUCHED_EXCEPT:
                        out[table.name] = (
                            await session.execute(select(func.count()).select_from(table))
                        ).scalar_one()
            return out

        return self.thread.run(go())


@pytest.fixture(scope="module")
def servers(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    folder = tmp_path_factory.mktemp("fuzz")
    urls = []
    for name in ("slack.db", "teams.db"):
        shutil.copy(sqlite_template, folder / name)
        urls.append(f"sqlite+aiosqlite:///{folder / name}")
    thread = ServerThread()
    slack, stop_slack = thread.run(start_world(urls[0]))
    teams, stop_teams = thread.run(start_teams(urls[1]))
    try:
        # the manager has opened the bot in Teams, as in production
        thread.run(teams.say(JO, "hello"))
        yield Servers(thread, slack, teams)
    finally:
        thread.run(stop_teams())
        thread.run(stop_slack())
        thread.close()


def _check(status: int, text: str) -> None:
    assert status < 500, (status, text[:500])
    assert "Traceback" not in text and 'File "' not in text, text[:500]


# -- strategies --------------------------------------------------------------------------

# What an HTTP client will put in a header: no control characters, anything else goes.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, blacklist_categories=("Cc", "Cs")), max_size=80
)
huge = st.integers(min_value=10_000, max_value=200_000).map(lambda n: "x" * n)
texts = st.one_of(st.text(max_size=60), huge, st.just(""), st.just("<!channel> *bold*"))
ids = st.one_of(
    st.sampled_from(["1", "0", "-1", "99999999999999999999", "abc", "1.5", "null", ""]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    texts,
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
slack_users = st.one_of(st.sampled_from(["U0SAM", "U0JO", "U0ALEX", "UNOBODY"]), anything)
# Everything but the two ways a directory member may legitimately store something with
# no form at all: starting a welfare check-in (/checkin, the home tab's button).
actions = st.sampled_from([a.value for a in ActionId if a != ActionId.NEW_CHECKIN])
forms = st.sampled_from([f.value for f in FormName])


def _state(values: Any) -> dict[str, Any]:
    return {"values": values}


views = st.fixed_dictionaries(
    {
        "id": st.just("V1"),
        "type": st.sampled_from(["modal", "home"]),
        "callback_id": st.one_of(forms, texts),
        "private_metadata": st.one_of(st.just(""), texts, anything.map(json.dumps)),
        "state": st.one_of(
            anything,
            st.dictionaries(
                st.one_of(forms, st.text(max_size=12)),
                st.dictionaries(
                    st.text(max_size=12),
                    st.fixed_dictionaries(
                        {"type": st.sampled_from(["plain_text_input", "static_select"])},
                        optional={"value": anything, "selected_option": anything},
                    ),
                    max_size=2,
                ),
                max_size=4,
            ).map(_state),
        ),
        "blocks": st.one_of(st.just([]), st.lists(anything, max_size=3)),
    }
)
block_actions = st.fixed_dictionaries(
    {
        "type": st.just("block_actions"),
        "user": st.one_of(st.fixed_dictionaries({"id": slack_users}), anything),
        "trigger_id": texts,
        "response_url": st.just("http://127.0.0.1:9/respond"),
        "actions": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {"action_id": st.one_of(actions, texts), "block_id": ids, "value": ids},
                    optional={"selected_options": anything, "type": texts},
                ),
                max_size=2,
            ),
            anything,
        ),
    },
    optional={"view": views, "container": anything, "message": anything, "channel": anything},
)
submissions = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["view_submission", "view_closed"]),
        "user": st.one_of(st.fixed_dictionaries({"id": slack_users}), anything),
        "view": st.one_of(views, anything),
    }
)
suggestions = st.fixed_dictionaries(
    {
        "type": st.just("block_suggestion"),
        "user": st.fixed_dictionaries({"id": slack_users}),
        "action_id": st.one_of(actions, texts),
        "value": texts,
    }
)
payloads = st.one_of(block_actions, submissions, suggestions, anything)
commands = st.fixed_dictionaries(
    {
        "command": st.one_of(
            st.sampled_from(["/incident", "/case", "/strategy", "/breach", "/nope"]), texts
        ),
        "user_id": st.one_of(st.sampled_from(["U0SAM", "U0JO", "UNOBODY"]), texts),
        "text": texts,
        "trigger_id": texts,
        "response_url": st.just("http://127.0.0.1:9/respond"),
    },
    optional={"team_id": texts, "channel_id": texts},
)
events = st.fixed_dictionaries(
    {
        "type": st.one_of(st.sampled_from(["event_callback", "url_verification"]), texts),
        "event": st.one_of(
            st.fixed_dictionaries(
                {"type": st.just("app_home_opened"), "user": slack_users, "tab": texts}
            ),
            anything,
        ),
    },
    optional={"challenge": anything, "team_id": anything},
)


@st.composite
def slack_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["payload", "command", "event", "form", "raw", "bytes"]))
    if kind == "payload":
        payload = draw(payloads)
        text = draw(st.one_of(st.just(json.dumps(payload)), texts))  # or malformed JSON
        return urlencode({"payload": text}).encode(), FORM
    if kind == "command":
        return urlencode(draw(commands)).encode(), FORM
    if kind == "event":
        return json.dumps(draw(events)).encode(), "application/json"
    if kind == "form":
        fields = draw(st.dictionaries(st.text(max_size=20), texts, max_size=5))
        return urlencode(fields).encode(), draw(st.sampled_from([FORM, "application/json"]))
    if kind == "raw":
        return draw(texts).encode(), draw(st.sampled_from([FORM, "application/json", "text/plain"]))
    return draw(st.binary(max_size=300)), draw(st.sampled_from([FORM, "application/json"]))


def _sign(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    text = body.decode("utf-8", errors="replace")  # not UTF-8: the server answers 400
    return SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=text)


@st.composite
def slack_headers(draw: st.DrawFn, body: bytes, content_type: str) -> dict[str, str]:
    now = str(int(time.time()))
    how = draw(st.sampled_from(["valid", "valid", "valid", "none", "forged", "stale", "replayed"]))
    headers = {"Content-Type": content_type}
    if how == "none":
        return headers
    if how == "forged":
        sig = draw(st.one_of(header_text, st.just("v0=" + "0" * 64)))
        ts = draw(st.one_of(st.just(now), header_text))
        return {**headers, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
    if how == "stale":
        old = str(int(time.time()) - 6 * 60)
        return {**headers, "X-Slack-Request-Timestamp": old, "X-Slack-Signature": _sign(body, old)}
    if how == "replayed":
        # a genuine signature of another request, or of this one with another timestamp
        other = draw(st.one_of(st.just(b"command=%2Fcheckin&user_id=U0SAM"), st.binary()))
        return {**headers, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": _sign(other, now)}
    return {**headers, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": _sign(body, now)}


@FUZZ
@given(data=st.data())
def test_slack_events_never_5xx_never_a_traceback_nothing_stored(
    servers: Servers, data: st.DataObject
) -> None:
    before = _baseline(servers, "slack")
    body, content_type = data.draw(slack_bodies())
    headers = data.draw(slack_headers(body, content_type))
    status, text = servers.post(f"{servers.slack.url}/slack/events", body, headers)
    _check(status, text)
    if not headers.get("X-Slack-Signature", "").startswith("v0=") or status == 401:
        assert status in (400, 401, 404, 415), (status, text[:300])
    assert servers.counts(servers.slack.db) == before


# -- Teams ---------------------------------------------------------------------------------

teams_users = st.one_of(st.sampled_from([SAM, STRANGER, "aad-unknown"]), texts)
teams_verbs = st.one_of(
    st.sampled_from([a.value for a in ActionId if a != ActionId.NEW_CHECKIN]), forms, texts
)


@st.composite
def activities(draw: st.DrawFn, service_url: str) -> Any:
    user = draw(teams_users)
    activity: dict[str, Any] = {
        "type": draw(
            st.one_of(
                st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate"]),
                texts,
            )
        ),
        "id": draw(ids),
        "channelId": draw(st.one_of(st.just("msteams"), texts)),
        "serviceUrl": service_url,
        "from": draw(
            st.one_of(
                st.fixed_dictionaries({"id": st.just(f"29:{user}"), "aadObjectId": st.just(user)}),
                anything,
            )
        ),
        "recipient": {"id": "28:safecontact-bot"},
        "conversation": draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "id": st.just(f"a:personal-{user}"),
                        "conversationType": st.sampled_from(["personal", "channel", "groupChat"]),
                    }
                ),
                anything,
            )
        ),
    }
    extra = draw(
        st.sampled_from(["text", "invoke", "members", "action", "junk"]),
    )
    if extra == "text":
        words = st.sampled_from(["incident", "/case", "case Member", "help", "strategy", "hi"])
        activity["text"] = draw(st.one_of(words, texts, anything))
    elif extra == "invoke":
        activity["name"] = draw(st.one_of(st.just("adaptiveCard/action"), texts))
        activity["value"] = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "action": st.fixed_dictionaries(
                            {
                                "type": st.just("Action.Execute"),
                                "verb": teams_verbs,
                                "data": st.one_of(
                                    st.dictionaries(st.text(max_size=16), anything, max_size=6),
                                    anything,
                                ),
                            }
                        )
                    }
                ),
                anything,
            )
        )
    elif extra == "members":
        activity["membersAdded"] = draw(
            st.one_of(anything, st.just([{"id": "28:safecontact-bot"}]))
        )
    elif extra == "action":
        activity["action"] = draw(st.one_of(st.sampled_from(["add", "remove"]), anything))
    else:
        activity[draw(st.text(max_size=12))] = draw(anything)
    return activity


@st.composite
def teams_requests(draw: st.DrawFn, service_url: str) -> tuple[bytes, dict[str, str]]:
    kind = draw(st.sampled_from(["activity", "activity", "wrong type", "raw", "bytes"]))
    if kind == "activity":
        body = json.dumps(draw(activities(service_url))).encode()
    elif kind == "wrong type":
        body = json.dumps(draw(anything)).encode()
    elif kind == "raw":
        body = draw(texts).encode()
    else:
        body = draw(st.binary(max_size=300))
    headers = {
        "Content-Type": draw(
            st.sampled_from(["application/json", "application/json", "text/plain", FORM])
        )
    }
    auth = draw(
        st.one_of(
            st.none(),
            st.just("Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"),  # forged JWT
            header_text.map(lambda t: "Bearer " + t),
        )
    )
    if auth is not None:
        headers["Authorization"] = auth
    return body, headers


@FUZZ
@given(data=st.data())
def test_teams_messages_never_5xx_never_a_traceback_nothing_stored(
    servers: Servers, data: st.DataObject
) -> None:
    before = _baseline(servers, "teams")
    body, headers = data.draw(teams_requests(servers.teams.fake.url))
    status, text = servers.post(f"{servers.teams.url}/api/messages", body, headers)
    _check(status, text)
    assert servers.counts(servers.teams.db) == before


_BASELINES: dict[str, dict[str, int]] = {}


def _baseline(servers: Servers, which: str) -> dict[str, int]:
    """The row counts before the first example; every example must leave them so."""
    if which not in _BASELINES:
        db = servers.slack.db if which == "slack" else servers.teams.db
        _BASELINES[which] = servers.counts(db)
    return _BASELINES[which]


def test_the_servers_still_work_after_the_fuzzing(servers: Servers) -> None:
    """The bad input left nothing broken: a real report still goes through."""

    async def report() -> tuple[int, Any]:
        from tests.e2e.test_slack_incident import answers, open_incident_form

        view = await open_incident_form(servers.slack)
        return await servers.slack.submit("U0SAM", view, answers())

    status, ack = servers.thread.run(report())
    assert status == 200 and ack["response_action"] == "update", ack


# -- null and wrong-typed fields, in every payload shape ----------------------------------
#
# Each shape starts from a request a client really sends, one that is refused or only
# reads (so whatever is changed in it, nothing may be stored); then every field in it, at
# every depth, is made null and each wrong type in turn. Each must be answered below 500,
# without a traceback, and leave every table as it was.

WRONG = (None, 0, True, "", [], {"x": None})


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield (*prefix, key)
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value[:2]):
            yield (*prefix, i)
            yield from _paths(inner, (*prefix, i))


def _mutations(base: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path in _paths(base):
        for wrong in WRONG:
            copy = json.loads(json.dumps(base))
            at = copy
            for step in path[:-1]:
                at = at[step]
            if type(at[path[-1]]) is type(wrong) and at[path[-1]] == wrong:
                continue
            at[path[-1]] = wrong
            yield copy


def _slack_shapes(view: dict[str, Any], respond_to: str) -> dict[str, dict[str, Any]]:
    user = {"id": "U0SAM", "username": "sam", "team_id": "T1"}
    submission = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": user,
        "api_app_id": "A1",
        "trigger_id": "trigger-1",
        "view": {
            "id": "V1",
            "hash": "h1",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "state": {
                "values": {
                    # a report with nothing in what happened: refused with a field error
                    "channel": {
                        "channel": {
                            "type": "static_select",
                            "selected_option": {"value": "telephone"},
                        }
                    },
                    "what_happened": {"what_happened": {"type": "plain_text_input", "value": None}},
                    "behaviours": {
                        "behaviours": {
                            "type": "checkboxes",
                            "selected_options": [{"value": "abuse"}],
                        }
                    },
                }
            },
        },
    }
    button = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": user,
        "api_app_id": "A1",
        "trigger_id": "trigger-2",
        "response_url": respond_to,
        "container": {"type": "message", "message_ts": "1.2"},
        "channel": {"id": "D0SAM"},
        "message": {"ts": "1.2", "text": "x"},
        "actions": [
            {
                "type": "button",
                "action_id": ActionId.WELFARE_OK.value,
                "block_id": "b",
                "value": "987654",  # no such check-in: refused, nothing stored
                "action_ts": "1700000000.5",
            }
        ],
    }
    options = {
        "type": "block_suggestion",
        "team": {"id": "T1"},
        "user": user,
        "api_app_id": "A1",
        "action_id": "person",
        "block_id": "person",
        "value": "Mo",
        "view": {"id": "V1", "type": "modal", "callback_id": "incident"},
    }
    event = {
        "token": "legacy",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev1",
        "event_time": 1700000000,
        "event": {"type": "app_home_opened", "user": "U0SAM", "tab": "home"},
    }
    return {"view_submission": submission, "block_actions": button, "options": options,
            "events": event}  # fmt: skip


def _signed(servers: Servers, body: bytes, content_type: str) -> tuple[int, str]:
    now = str(int(time.time()))
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": now,
        "X-Slack-Signature": _sign(body, now),
    }
    return servers.post(f"{servers.slack.url}/slack/events", body, headers)


def test_slack_null_and_wrong_typed_fields_refused_cleanly(servers: Servers) -> None:
    async def form() -> dict[str, Any]:
        from tests.e2e.test_slack_incident import open_incident_form

        return await open_incident_form(servers.slack)

    view = servers.thread.run(form())
    respond_to = servers.slack.fake.response_url(1000)
    before = servers.counts(servers.slack.db)
    tried = 0
    for shape, base in _slack_shapes(view, respond_to).items():
        for payload in _mutations(base):
            if shape == "events":
                body, content_type = json.dumps(payload).encode(), "application/json"
            else:
                body = urlencode({"payload": json.dumps(payload)}).encode()
                content_type = FORM
            status, text = _signed(servers, body, content_type)
            _check(status, text + json.dumps(payload)[:300])
            tried += 1
    # A slash command is a form: every field missing, empty, or not what Slack sends.
    command = {"team_id": "T1", "user_id": "U0SAM", "command": "/case", "text": "NOPE-1",
               "trigger_id": "t", "response_url": respond_to}  # fmt: skip
    for field_name in command:
        for wrong in (None, "", "null", "[]", "{}", "0"):
            fields = {k: v for k, v in command.items() if k != field_name}
            if wrong is not None:
                fields[field_name] = wrong
            status, text = _signed(servers, urlencode(fields).encode(), FORM)
            _check(status, text + str(fields))
            tried += 1
    assert tried > 300
    assert servers.counts(servers.slack.db) == before


def test_slack_block_actions_with_null_actions_is_a_clean_refusal(servers: Servers) -> None:
    """Found by hand: a signed block_actions whose "actions" is null got a 500."""
    for actions in (None, [], [None], "x", {}):
        payload = {"type": "block_actions", "user": {"id": "U0SAM"}, "actions": actions}
        body = urlencode({"payload": json.dumps(payload)}).encode()
        status, text = _signed(servers, body, FORM)
        assert status == 400, (actions, status, text)


def _teams_shapes(service_url: str) -> dict[str, dict[str, Any]]:
    def activity(kind: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "id": "act-1",
            "channelId": "msteams",
            "serviceUrl": service_url,
            "from": {"id": f"29:{SAM}", "name": "Sam", "aadObjectId": SAM},
            "recipient": {"id": "28:safecontact-bot", "name": "safecontact"},
            "conversation": {"id": f"a:personal-{SAM}", "conversationType": "personal"},
            "channelData": {"tenant": {"id": "tenant"}},
            **extra,
        }

    def invoke(verb: str, data: dict[str, Any]) -> dict[str, Any]:
        action = {"type": "Action.Execute", "verb": verb, "data": data}
        return activity("invoke", name="adaptiveCard/action", value={"action": action})

    return {
        "message": activity("message", text="case NOPE-1", textFormat="plain"),
        "button": invoke(ActionId.WELFARE_OK.value, {"checkin_id": "987654"}),
        # an incident report with nothing in what happened: refused with a field error
        "form": invoke(FormName.INCIDENT.value, {"channel": "telephone", "what_happened": ""}),
        "install": activity("conversationUpdate", membersAdded=[{"id": "28:safecontact-bot"}]),
    }


def test_teams_null_and_wrong_typed_fields_refused_cleanly(servers: Servers) -> None:
    before = servers.counts(servers.teams.db)
    url = f"{servers.teams.url}/api/messages"
    tried = 0
    for base in _teams_shapes(servers.teams.fake.url).values():
        for activity in _mutations(base):
            if activity.get("serviceUrl") != servers.teams.fake.url:
                continue  # the bot would answer elsewhere: not what this test is about
            body = json.dumps(activity).encode()
            status, text = servers.post(url, body, {"Content-Type": "application/json"})
            _check(status, text + json.dumps(activity)[:300])
            tried += 1
    assert tried > 200
    assert servers.counts(servers.teams.db) == before
