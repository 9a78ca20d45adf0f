"""What Slack sends, signed as Slack signs it: the load generator's requests.

Kept free of pytest and of the server's code, so the bench drives safecontact and the
bare bolt app with byte-identical requests; the tests' Slack harness signs and fills in
forms with the same functions.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SECRET = "bench-signing-secret"
TOKEN = "xoxb-test-token"
FORM = "application/x-www-form-urlencoded"

_trigger = itertools.count(1)


def signed(
    body: str, *, secret: str = SECRET, content_type: str = FORM, age: int = 0
) -> dict[str, str]:
    """Headers Slack sends: a timestamp `age` seconds old and the v0 HMAC of `v0:ts:body`."""
    ts = str(int(time.time()) - age)
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(timestamp=ts, body=body),
        "Content-Type": content_type,
    }


def command(user: str, name: str, response_url: str, text: str = "") -> str:
    n = next(_trigger)
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "office",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": name,
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": f"trigger-{n}",
        }
    )


def interaction(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def state_entry(element: dict[str, Any], answer: Any) -> dict[str, Any]:
    kind = element["type"]
    entry: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "number_input"):
        entry["value"] = answer
    elif kind in ("static_select", "radio_buttons", "external_select"):
        entry["selected_option"] = (
            None
            if answer is None
            else {"text": {"type": "plain_text", "text": "x"}, "value": answer}
        )
    elif kind in ("multi_static_select", "checkboxes"):
        entry["selected_options"] = [
            {"text": {"type": "plain_text", "text": "x"}, "value": v} for v in (answer or [])
        ]
    elif kind == "datetimepicker":
        entry["selected_date_time"] = answer
    elif kind == "datepicker":
        entry["selected_date"] = answer
    return entry


def submission(user: str, view: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """A view_submission of the view the bot opened, filled in as a person would."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        values[block["block_id"]] = {
            element["action_id"]: state_entry(element, answers.get(block["block_id"]))
        }
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": user},
        "api_app_id": "A1",
        "trigger_id": "trigger-submit",
        "view": {
            **view,
            "id": "V1",
            "state": {"values": values},
            "private_metadata": view.get("private_metadata", ""),
        },
    }


def incident_answers(n: int) -> dict[str, Any]:
    """A valid report about a new member of the public; `n` makes each one distinct."""
    return {
        "new_person_name": f"Member {n:06d}",
        "occurred_at": int(time.time()) - 3600,
        "channel": "telephone",
        "behaviours": ["abuse", "demand_updates"],
        "what_happened": f"Called four times today shouting about their complaint (#{n}).",
        "impact": "Shaken; I needed a break afterwards.",
        "actions_taken": ["warned", "ended_call"],
        "violence": "no",
        "known_needs": "",
        "s4_explained": "yes",
        "s4_proportionate": "yes",
        "s4_communicated": "yes",
        "s4_support": "yes",
        "s4_rationale": "na",
    }
