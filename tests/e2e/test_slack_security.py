"""Requests Slack did not sign, and input no form of ours produces, change nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.slack.dispatch import slash_commands
from storage.models import AuditEvent, Incident, OutboxMessage, Person, WelfareCheckIn
from tests.e2e.test_slack_incident import answers, assert_valid_message, open_incident_form
from tests.slack_harness import SlackWorld

MANIFEST = Path(__file__).resolve().parents[2] / "bot" / "slack" / "manifest.json"


async def stored(slack: SlackWorld) -> dict[str, int]:
    out = {}
    async with slack.db.read() as session:
        for model in (Incident, Person, OutboxMessage, WelfareCheckIn):
            out[model.__name__] = (
                await session.execute(select(func.count()).select_from(model))
            ).scalar_one()
        out["audit"] = (
            await session.execute(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.actor != "system:directory")
            )
        ).scalar_one()
    return out


@pytest.mark.parametrize("case", ["unsigned", "wrong secret", "six minutes old", "tampered"])
async def test_bad_signatures_get_401_and_change_nothing(slack: SlackWorld, case: str) -> None:
    body = slack.command_body("U0SAM", "/checkin")
    content_type = "application/x-www-form-urlencoded"
    headers = slack.headers(body, content_type)
    if case == "unsigned":
        headers = {"Content-Type": content_type}
    elif case == "wrong secret":
        slack.secret = "not-the-secret"
        headers = slack.headers(body, content_type)
    elif case == "six minutes old":
        headers = slack.headers(body, content_type, age=6 * 60)
    else:
        body = body.replace("checkin", "incident")
    resp = await slack.post(body, content_type, headers=headers)
    assert resp.status == 401
    assert await stored(slack) == {
        "Incident": 0,
        "Person": 0,
        "OutboxMessage": 0,
        "WelfareCheckIn": 0,
        "audit": 0,
    }
    assert slack.fake.responses == [] and slack.fake.calls_to("views.open") == []


async def submit_expecting_errors(
    slack: SlackWorld, overrides: dict[str, Any], user: str = "U0SAM"
) -> dict[str, str]:
    view = await open_incident_form(slack)
    status, ack = await slack.submit(user, view, answers(**overrides))
    assert status == 200
    assert ack["response_action"] == "errors", ack
    assert await stored(slack) == {
        "Incident": 0,
        "Person": 0,
        "OutboxMessage": 0,
        "WelfareCheckIn": 0,
        "audit": 0,
    }
    return ack["errors"]


async def test_over_long_text_is_refused_under_its_field(slack: SlackWorld) -> None:
    errors = await submit_expecting_errors(slack, {"what_happened": "x" * 3001})
    assert errors == {"what_happened": "Please keep this to 3000 characters (you wrote 3001)."}


async def test_missing_required_fields(slack: SlackWorld) -> None:
    errors = await submit_expecting_errors(
        slack, {"channel": None, "behaviours": [], "violence": None, "new_person_name": None}
    )
    assert set(errors) == {"channel", "behaviours", "violence", "person"}
    assert errors["channel"] == "Please answer this question."
    assert "Choose who this was" in errors["person"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("channel", "carrier_pigeon"),
        ("behaviours", ["abuse", "being_annoying"]),
        ("violence", "maybe"),
        ("s4_explained", "perhaps"),
        ("actions_taken", ["launched_missiles"]),
    ],
)
async def test_forged_option_values(slack: SlackWorld, field: str, value: Any) -> None:
    errors = await submit_expecting_errors(slack, {field: value})
    assert list(errors) == [field]


async def test_forged_field_not_in_the_form(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    payload = slack.submission("U0SAM", view, answers())
    payload["view"]["state"]["values"]["is_admin"] = {
        "is_admin": {"type": "plain_text_input", "value": "yes"}
    }
    status, ack = await slack.interact(payload)
    assert status == 200 and ack["response_action"] == "errors"
    assert await stored(slack) == {
        "Incident": 0,
        "Person": 0,
        "OutboxMessage": 0,
        "WelfareCheckIn": 0,
        "audit": 0,
    }


async def test_unknown_person_id(slack: SlackWorld) -> None:
    errors = await submit_expecting_errors(slack, {"new_person_name": None, "person": "p:424242"})
    assert errors == {"person": "That person is no longer on file; search again."}
    errors = await submit_expecting_errors(
        slack, {"new_person_name": None, "person": "Robert'); DROP"}
    )
    assert errors == {"person": "Choose a person from the search results."}


async def test_future_incident_time_refused(slack: SlackWorld) -> None:
    import time

    errors = await submit_expecting_errors(slack, {"occurred_at": int(time.time()) + 86400})
    assert errors == {"occurred_at": "This is in the future; when did it happen?"}


async def test_user_not_in_directory_cannot_submit(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    _status, ack = await slack.submit("U0STRANGER", view, answers())
    assert ack["response_action"] == "update"
    assert "not in safecontact's staff directory" in json.dumps(ack["view"])
    assert await stored(slack) == {
        "Incident": 0,
        "Person": 0,
        "OutboxMessage": 0,
        "WelfareCheckIn": 0,
        "audit": 0,
    }


async def test_markup_is_shown_literally_never_as_a_mention(slack: SlackWorld) -> None:
    nasty = "<!channel> ping <@U0JO> & <https://evil.example|click> *bold*"
    view = await open_incident_form(slack)
    await slack.submit(
        "U0SAM",
        view,
        answers(new_person_name="<!here> Eve & Co", what_happened=nasty, impact="<!everyone>"),
    )
    await slack.settle()
    card = slack.fake.posts_to("U0JO")[0]
    assert_valid_message(card)
    rendered = json.dumps(card["blocks"])
    assert "<!channel>" not in rendered and "<@U0JO>" not in rendered
    assert "<!here>" not in rendered and "<!everyone>" not in rendered
    assert "<https://evil" not in rendered
    assert (
        "&lt;!channel&gt; ping &lt;@U0JO&gt; &amp; &lt;https://evil.example|click&gt;" in rendered
    )
    async with slack.db.read() as session:
        stored_text = (await session.execute(select(Incident.what_happened))).scalar_one()
    assert stored_text == nasty  # stored as written; escaped only where shown


async def test_malformed_interactivity_is_4xx_or_a_message_never_5xx(slack: SlackWorld) -> None:
    content_type = "application/x-www-form-urlencoded"
    for body in ("payload=%7Bnot-json", "payload=", "nothing=here", "payload=%5B%5D"):
        resp = await slack.post(body, content_type)
        assert resp.status < 500, body
    status, _ack = await slack.interact(
        {
            "type": "view_submission",
            "user": {"id": "U0SAM"},
            "view": {"callback_id": "incident", "state": "nope", "blocks": []},
        }
    )
    assert status < 500
    assert await stored(slack) == {
        "Incident": 0,
        "Person": 0,
        "OutboxMessage": 0,
        "WelfareCheckIn": 0,
        "audit": 0,
    }


async def test_manifest_declares_exactly_the_registered_commands(slack: SlackWorld) -> None:
    manifest = json.loads(MANIFEST.read_text())
    declared = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert sorted(declared) == sorted(slash_commands())
    for command in declared:
        status, _ = await slack.command("U0SAM", command, "SC-2026-00001")
        assert status == 200, f"{command} is declared but not handled"
    status, _ = await slack.command("U0SAM", "/not-ours")
    assert status == 404
    urls = {c["url"] for c in manifest["features"]["slash_commands"]}
    urls |= {
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
    }
    assert all(u.endswith("/slack/events") for u in urls)
    assert "im:history" in manifest["oauth_config"]["scopes"]["bot"]  # crash recovery reads DMs
