"""Every submission and button press is processed at most once (issue 16, item 2).

A signed Slack request can be posted again for five minutes and a Bot Framework
activity for as long as its token lasts; each kind of interaction is sent twice here,
byte for byte, and must be stored once, the copy answered as the first was
(bot/interactions_once.py, storage/seen.py). The same holds across a restart: the keys
are in the database.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from cards.ids import ActionId
from dialogs.errors import Replayed
from storage.models import Incident, OutboxMessage, Person, SeenInteraction, WelfareCheckIn
from tests.backends import both_backends
from tests.e2e.test_slack_incident import answers as slack_answers
from tests.e2e.test_slack_incident import open_incident_form as slack_incident_form
from tests.slack_harness import SlackWorld, start_world
from tests.teams_harness import JO, SAM, TeamsWorld, conversation, fill, open_incident_form
from tests.teams_harness import answers as teams_answers

FORM = "application/x-www-form-urlencoded"
# The keys are written in the change's own transaction: both databases.
pytestmark = both_backends


async def _count(db: Any, model: Any) -> int:
    async with db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def _answer_kept(db: Any) -> bool:
    """The first answer is kept just after it is sent (bot/interactions_once.py): a copy
    arriving in between is told only that it was done. A copy sent seconds later, as a
    replay is, finds the answer; wait for that moment rather than race it."""
    async with db.read() as session:
        answers = (await session.execute(select(SeenInteraction.answer))).scalars().all()
    return bool(answers) and all(a is not None for a in answers)


async def _stored(db: Any) -> dict[str, int]:
    return {
        m.__name__: await _count(db, m)
        for m in (Incident, Person, OutboxMessage, WelfareCheckIn, SeenInteraction)
    }


# -- Slack ------------------------------------------------------------------------------


async def test_slack_view_submission_replayed_is_stored_once(slack: SlackWorld) -> None:
    view = await slack_incident_form(slack)
    payload = slack.submission("U0SAM", view, slack_answers())
    payload["view"]["hash"] = "1700000000.abcdef"  # as Slack sends it
    body = urlencode({"payload": json.dumps(payload)})

    status, first = await slack.post_json(body, FORM)
    assert status == 200 and first["response_action"] == "update", first
    after_first = await _stored(slack.db)
    assert after_first["Incident"] == 1 and after_first["SeenInteraction"] == 1

    for _ in range(3):
        status, again = await slack.post_json(body, FORM)
        assert status == 200
        assert again == first  # the same confirmation, with the same reference
    assert await _stored(slack.db) == after_first


async def test_slack_submission_refused_then_corrected_goes_through(slack: SlackWorld) -> None:
    """A refused submission stores nothing, not even its key: fixed and sent from the
    same view (same id and hash, as Slack does after field errors), it is stored."""
    view = await slack_incident_form(slack)
    bad = slack.submission("U0SAM", view, slack_answers(what_happened=""))
    bad["view"]["hash"] = "h1"
    status, ack = await slack.interact(bad)
    assert status == 200 and ack["response_action"] == "errors", ack
    assert await _count(slack.db, SeenInteraction) == 0
    good = slack.submission("U0SAM", view, slack_answers())
    good["view"]["hash"] = "h1"
    status, ack = await slack.interact(good)
    assert status == 200 and ack["response_action"] == "update", ack
    assert await _count(slack.db, Incident) == 1


def _button(user: str, action_id: str, *, ts: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": user},
        "api_app_id": "A1",
        "trigger_id": "trigger-replay",
        "response_url": "",
        "container": {"type": "message", "message_ts": "1700000000.000100"},
        "channel": {"id": "D" + user[1:]},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": "",
                "action_ts": ts,
            }
        ],
    }


async def test_slack_block_actions_replayed_is_stored_once(slack: SlackWorld) -> None:
    payload = _button("U0SAM", ActionId.NEW_CHECKIN, ts="1700000001.000001")
    payload["response_url"] = slack.fake.response_url(900)
    body = urlencode({"payload": json.dumps(payload)})
    status, _ = await slack.post_json(body, FORM)
    assert status == 200
    first = await slack.eventually(lambda: slack.fake.responses, what="the check-in")
    first = list(first)
    assert "How are you doing?" in first[0]["text"]
    stored = await _stored(slack.db)
    assert stored["WelfareCheckIn"] == 1 and stored["SeenInteraction"] == 1
    await slack.eventually(lambda: _answer_kept(slack.db), what="the first answer kept")

    status, _ = await slack.post_json(body, FORM)
    assert status == 200
    again = await slack.eventually(
        lambda: len(slack.fake.responses) > len(first) and slack.fake.responses[len(first) :],
        what="the repeat's answer",
    )
    assert again == first  # the first answer again, to the same place
    assert await _stored(slack.db) == stored

    # A second press of the same button is a new action (another action_ts): a new check-in.
    other = _button("U0SAM", ActionId.NEW_CHECKIN, ts="1700000002.000001")
    other["response_url"] = slack.fake.response_url(901)
    await slack.interact(other)
    await slack.eventually(lambda: len(slack.fake.responses) > 2 * len(first), what="second")
    assert await _count(slack.db, WelfareCheckIn) == 2


async def test_slack_slash_command_replayed_is_stored_once(slack: SlackWorld) -> None:
    """/checkin starts a check-in: its replay, signed afresh within the five minutes,
    would start another one, so commands are keyed by their trigger_id too."""
    body = slack.command_body("U0NIA", "/checkin")
    status, _ = await slack.post_json(body, FORM)
    assert status == 200
    first = list(await slack.eventually(lambda: slack.fake.responses, what="check-in"))
    assert await _count(slack.db, WelfareCheckIn) == 1
    await slack.eventually(lambda: _answer_kept(slack.db), what="the first answer kept")
    status, _ = await slack.post_json(body, FORM)
    assert status == 200
    again = await slack.eventually(
        lambda: slack.fake.responses[len(first) :], what="the repeat's answer"
    )
    assert again == first
    assert await _count(slack.db, WelfareCheckIn) == 1
    # the same command typed again is another invocation: another check-in
    await slack.command("U0NIA", "/checkin")
    await slack.eventually(lambda: len(slack.fake.responses) > 2 * len(first), what="second")
    assert await _count(slack.db, WelfareCheckIn) == 2


async def test_slack_replay_after_a_restart_is_stored_once(fresh_db_url: str) -> None:
    """The keys are in the database: a copy sent to a restarted server changes nothing."""
    slack, stop = await start_world(fresh_db_url)
    try:
        view = await slack_incident_form(slack)
        payload = slack.submission("U0SAM", view, slack_answers())
        payload["view"]["hash"] = "restart-hash"
        body = urlencode({"payload": json.dumps(payload)})
        _, first = await slack.post_json(body, FORM)
    finally:
        await stop()
    again_world, stop = await start_world(fresh_db_url)
    try:
        status, again = await again_world.post_json(body, FORM)
        assert status == 200 and again == first
        assert await _count(again_world.db, Incident) == 1
    finally:
        await stop()


# -- Teams ------------------------------------------------------------------------------


async def test_teams_invoke_replayed_is_stored_once(teams: TeamsWorld) -> None:
    await teams.say(JO, "hello")
    form = await open_incident_form(teams)
    verb, data = fill(form, teams_answers(), teams.zone)
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
    activity = teams.activity(SAM, "invoke", name="adaptiveCard/action", value=value)

    status, first = await teams.post(activity)
    assert status == 200 and "saved" in json.dumps(first).lower(), first
    stored = await _stored(teams.db)
    assert stored["Incident"] == 1 and stored["SeenInteraction"] == 1
    for _ in range(2):
        status, again = await teams.post(activity)
        assert status == 200 and again == first
    assert await _stored(teams.db) == stored


async def test_teams_message_replayed_is_stored_once(teams: TeamsWorld) -> None:
    activity = teams.activity(SAM, "message", text="checkin", textFormat="plain")
    status, _ = await teams.post(activity)
    assert status in (200, 201)
    replies = teams.fake.replies_in(conversation(SAM))
    first = replies[-1].card
    assert "How are you doing?" in json.dumps(first)
    assert await _count(teams.db, WelfareCheckIn) == 1

    status, _ = await teams.post(activity)
    assert status in (200, 201)
    replies = teams.fake.replies_in(conversation(SAM))
    assert replies[-1].card == first  # answered as the first time
    assert await _count(teams.db, WelfareCheckIn) == 1


async def test_a_repeat_whose_answer_was_not_kept_says_it_was_done(teams: TeamsWorld) -> None:
    """The server stopped between the change and keeping its answer: the copy is still
    refused, with a message saying so."""
    activity = teams.activity(SAM, "message", text="checkin", textFormat="plain")
    await teams.post(activity)
    async with teams.db.write() as session:
        row = (await session.execute(select(SeenInteraction))).scalar_one()
        row.answer = None
    await teams.post(activity)
    card = teams.fake.replies_in(conversation(SAM))[-1].card
    assert Replayed.MESSAGE in json.dumps(card)
    assert await _count(teams.db, WelfareCheckIn) == 1


async def test_copies_sent_together_are_stored_once(teams: TeamsWorld) -> None:
    """Five copies in flight at once: the key is written in the change's transaction, so
    one is stored; the others get the first answer or are told it was done."""
    await teams.say(JO, "hello")
    form = await open_incident_form(teams)
    verb, data = fill(form, teams_answers(), teams.zone)
    value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
    activity = teams.activity(SAM, "invoke", name="adaptiveCard/action", value=value)
    answers = await asyncio.gather(*(teams.post(activity) for _ in range(5)))
    assert all(status == 200 for status, _ in answers)
    assert await _count(teams.db, Incident) == 1
    saved = [a for _, a in answers if "saved" in json.dumps(a).lower()]
    done = [a for _, a in answers if Replayed.MESSAGE in json.dumps(a)]
    assert saved and len(saved) + len(done) == 5, answers
