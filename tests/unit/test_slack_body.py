"""The quick reading of Slack's form bodies (bot/slack/body.py) reads what bolt reads.

The quicker path is only worth having if it can never read a body differently from
bolt: these hold it to bolt's own `parse_body` and `AsyncBoltRequest`, on every JSON
payload hypothesis can build and on hostile bodies no Slack client sends.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.request.internals import parse_body

from bot.slack.body import FORM, bolt_request, payload_of

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
payloads = st.dictionaries(st.text(), json_values, max_size=6)


def form(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


@settings(max_examples=300, derandomize=True)
@given(payloads)
def test_every_payload_reads_as_bolt_reads_it(payload: dict[str, Any]) -> None:
    body = form(payload)
    assert payload_of(body) == parse_body(body, FORM) == payload


@settings(max_examples=300, derandomize=True)
@given(st.text())
def test_a_hostile_body_is_read_as_bolt_reads_it_or_left_to_bolt(junk: str) -> None:
    for body in (f"payload={junk}", f"payload={quote(junk)}", f"payload={junk}&x=1"):
        try:
            expected: Any = parse_body(body, FORM)
        except ValueError:
            expected = ValueError
        try:
            ours: Any = payload_of(body)
        except ValueError:
            ours = ValueError  # a body bolt refuses too, with the same 400
        assert ours is None or ours == expected


def test_bodies_bolt_reads_differently_are_left_to_bolt() -> None:
    # A second field, a raw '=', a broken escape, a line break: bolt's reading applies.
    for body in (
        "payload=%7B%7D&payload=%7B%22a%22%3A1%7D",
        'payload={"a":"b=c"}',
        "payload=%7B%22a%22%3A%22%zz%22%7D",
        "payload=%7B%22a%22%3A%22x\n%22%7D",
        "payload=%7B%7D%",
        "payload=%7B%7D%4",
        "payload=%7B%22a%22%3A%22%E9%22%7D%7",
        "command=%2Fincident&text=",
    ):
        assert payload_of(body) is None


def test_the_request_is_the_one_bolt_would_build() -> None:
    payload = {
        "type": "view_submission",
        "user": {"id": "U0SAM", "team_id": "T1"},
        "team": {"id": "T1"},
        "view": {"callback_id": "incident", "state": {"values": {}}},
        "text": "Ünïcødé + 100% <@U123> & <!channel>",
    }
    body = form(payload)
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": "1"}
    ours = bolt_request(body, query="", headers=headers)
    theirs = AsyncBoltRequest(body=body, query="", headers=headers)
    assert ours.raw_body == theirs.raw_body == body
    assert ours.body == theirs.body == payload
    assert dict(ours.context) == dict(theirs.context)
    assert ours.headers == theirs.headers and ours.mode == theirs.mode == "http"
