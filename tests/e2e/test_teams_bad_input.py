"""Bad input on Teams, the same set as Slack: each gets a clear message and changes nothing.

Over-long text, missing fields, forged choice values and ids, unknown users, markup that
must be shown literally, and request bodies no Teams client would send (4xx, never 5xx).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Incident, OutboxMessage, Person, TeamsConversationRef
from tests.teams_harness import (
    JO,
    SAM,
    STRANGER,
    TeamsWorld,
    answers,
    conversation,
    fill,
    inputs,
    open_incident_form,
    report,
    visible,
)


async def count(teams: TeamsWorld, model: Any) -> int:
    async with teams.db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def submit_data(teams: TeamsWorld, data: dict[str, Any]) -> dict[str, Any]:
    status, answer = await teams.invoke(SAM, "incident", data)
    assert status == 200, answer
    return answer["value"]


def errors_shown(card: dict[str, Any]) -> list[str]:
    """The messages under fields: what the user is told to correct."""
    return [
        e["text"]
        for e in card["body"]
        if e.get("type") == "TextBlock" and e.get("color") == "Attention"
    ]


async def test_over_long_and_missing_answers_come_back_under_their_fields(
    teams: TeamsWorld,
) -> None:
    form = await open_incident_form(teams)
    _verb, data = fill(
        form,
        answers(what_happened="x" * 3001, channel=None, behaviours=[], violence=None),
        teams.zone,
    )
    card = await submit_data(teams, data)
    text = visible(card)
    assert "Please correct the highlighted fields." in text
    assert "Please keep this to 3000 characters (you wrote 3001)." in text
    assert len(errors_shown(card)) == 4  # what happened, channel, behaviours, violence
    assert text.count("Please answer this question.") >= 3
    # What was typed is kept, so nothing is lost.
    kept = next(i for i in inputs(card) if i["id"] == "what_happened")
    assert kept["value"] == "x" * 3001
    assert await count(teams, Incident) == 0


async def test_dates_half_filled_or_in_the_future(teams: TeamsWorld) -> None:
    form = await open_incident_form(teams)
    _verb, data = fill(form, answers(), teams.zone)
    data["occurred_at__time"] = ""
    assert "Enter a date and time." in visible(await submit_data(teams, data))
    _verb, data = fill(form, answers(occurred_at=answers()["occurred_at"] + 86400 * 2), teams.zone)
    assert "This is in the future; when did it happen?" in visible(await submit_data(teams, data))
    assert await count(teams, Incident) == 0


async def test_forged_choices_and_fields_are_refused(teams: TeamsWorld) -> None:
    form = await open_incident_form(teams)
    _verb, data = fill(form, answers(channel="fax"), teams.zone)
    assert "Choose one of the options given." in visible(await submit_data(teams, data))

    _verb, data = fill(form, answers(), teams.zone)
    data["behaviours__0"] = "abuse,made_up"
    assert "Choose only from the options given." in visible(await submit_data(teams, data))

    for forged in ({"is_admin": "yes"}, {"behaviours": "abuse"}):
        _verb, data = fill(form, answers(), teams.zone)
        data.update(forged)
        card = await submit_data(teams, data)
        assert "This form was changed outside safecontact; please reopen it." in visible(card)

    _verb, data = fill(form, answers(), teams.zone)
    data["_context"] = "not a mapping"
    card = await submit_data(teams, data)
    assert "This form's hidden details are malformed" in visible(card)
    assert await count(teams, Incident) == 0


async def test_forged_ids_on_buttons(teams: TeamsWorld) -> None:
    await teams.say(JO, "hi")
    await report(teams)
    for data, message in (
        ({"incident_id": "abc"}, "This button's details are malformed."),
        ({"incident_id": 9999}, "That incident could not be found."),
        ({}, "This button's details are malformed."),
    ):
        _status, answer = await teams.invoke(JO, "incident_acknowledge", data)
        assert answer["value"] == message
    for verb in ("welfare_ok", "incident_warning"):
        _status, answer = await teams.invoke(JO, verb, {"checkin_id": True, "incident_id": -1})
        assert answer["value"] == "This button's details are malformed."
    _status, answer = await teams.invoke(STRANGER, "incident_acknowledge", {"incident_id": 1})
    assert "not in safecontact's staff directory" in answer["value"]
    async with teams.db.read() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
    assert incident.acknowledged_at is None


async def test_markup_is_shown_literally(teams: TeamsWorld) -> None:
    await teams.say(JO, "hi")
    hostile = "<at>Everyone</at> **urgent** [click here](https://evil.example) # _big_"
    await report(teams, new_person_name="**Boss** <b>Man</b>", what_happened=hostile)
    await teams.settle()
    (sent,) = teams.fake.sends_to(conversation(JO))
    shown = visible(sent.card)
    assert hostile in shown
    assert "**Boss** <b>Man</b> (SC-" in shown
    raw = str(sent.card)
    assert "[click here](https" not in raw  # the link is escaped, so Teams won't make one
    assert "**urgent**" not in raw


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"{}", "application/json", 400),
        (b'{"type": "message"}', "application/json", 400),
        (b'{"type": "message", "text": "hi"}', "text/plain", 415),
        (b"\xff\xfe", "application/json", 400),
    ],
)
async def test_malformed_bodies_are_4xx(
    teams: TeamsWorld, body: bytes, content_type: str, status: int
) -> None:
    got, _ = await teams.post(None, raw=body, headers={"Content-Type": content_type})
    assert got == status


async def test_malformed_activities_are_4xx_and_change_nothing(teams: TeamsWorld) -> None:
    bad: list[dict[str, Any]] = [
        {**teams.activity(SAM, "message", text="incident"), "from": "Sam"},
        {**teams.activity(SAM, "message", text="incident"), "serviceUrl": "javascript:x"},
        {**teams.activity(SAM, "message"), "text": ["incident"]},
        {**teams.activity(SAM, "message", text="incident"), "timestamp": "yesterday"},
        {**teams.activity(SAM, "message", text="incident"), "entities": "x"},
    ]
    for body in bad:
        status, _ = await teams.post(body)
        assert status == 400, body
    invokes = [
        teams.activity(SAM, "invoke", name="adaptiveCard/action"),
        teams.activity(SAM, "invoke", name="adaptiveCard/action", value={"action": "x"}),
        teams.activity(
            SAM, "invoke", name="adaptiveCard/action", value={"action": {"type": "Action.Submit"}}
        ),
        teams.activity(
            SAM,
            "invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": "no_such_verb"}},
        ),
        teams.activity(
            SAM,
            "invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": "incident", "data": [1]}},
        ),
        teams.activity(SAM, "invoke", name="composeExtension/query", value={}),
    ]
    for body in invokes:
        status, answer = await teams.post(body)
        assert status == 400, (body, answer)
        assert answer["statusCode"] == 400 and answer["value"]["message"]
    big = teams.activity(SAM, "message", text="x" * (1024 * 1024))
    status, _ = await teams.post(big)
    assert status == 413
    assert teams.fake.calls == []
    for model in (Incident, Person, OutboxMessage, TeamsConversationRef):
        assert await count(teams, model) == 0
