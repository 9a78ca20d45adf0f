"""The first path a member of staff walks: /incident to a stored report and every message.

Driven through the real bolt app over HTTP with signed requests; the fake Slack records
what the bot sent, and every view and message is validated by slack_sdk's models.
"""

from __future__ import annotations

import time
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy import func, select

from cards.ids import ActionId, FormName
from storage.models import AuditEvent, Incident, OutboxMessage, Person, ScheduledJob, WelfareCheckIn
from tests.fake_slack import dm
from tests.slack_harness import SlackWorld


def assert_valid_message(payload: dict[str, Any]) -> None:
    assert payload.get("text"), "every message has fallback text for notifications"
    for block in payload["blocks"]:
        Block.parse(block).validate_json()


def assert_valid_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()


def answers(**overrides: Any) -> dict[str, Any]:
    base = {
        "new_person_name": "Morgan Example",
        "occurred_at": int(time.time()) - 3600,
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


async def count(slack: SlackWorld, model: Any) -> int:
    async with slack.db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def open_incident_form(slack: SlackWorld, user: str = "U0SAM") -> dict[str, Any]:
    status, _body = await slack.command(user, "/incident")
    assert status == 200
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open") and slack.last_view(), what="views.open"
    )
    assert_valid_view(view)
    return view


async def test_incident_full_path(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    assert view["callback_id"] == FormName.INCIDENT
    opened = slack.fake.calls_to("views.open")[-1]
    assert opened["trigger_id"].startswith("trigger-")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert "What behaviour did you experience?" in labels
    behaviour = next(b for b in view["blocks"] if b.get("block_id") == "behaviours")
    groups = [g["label"]["text"] for g in behaviour["element"]["option_groups"]]
    assert groups == [
        "Unacceptable behaviour (s3.1)",
        "Unreasonable persistence (s3.2)",
        "Unreasonable demands or obstructive behaviour (s3.2)",
    ]

    status, ack = await slack.submit("U0SAM", view, answers())
    assert status == 200
    assert ack["response_action"] == "update"
    confirmation = ack["view"]
    assert_valid_view(confirmation)
    assert "SC-" in str(confirmation)

    # Stored in one transaction: the person, the incident, its audit event, the follow-up.
    async with slack.db.read() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
        person = (await session.execute(select(Person))).scalar_one()
        assert person.name == "Morgan Example"
        assert person.reference.startswith("SC-")
        assert "hard of hearing" in person.additional_needs  # s5
        assert incident.behaviours == ["abuse", "demand_updates"]
        assert incident.self_check["communicated"] == "no"
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
        assert "incident.reported" in actions
        # The monthly records jobs (retention, oversight report) exist from the start.
        monthly = ("retention_purge", "oversight_report")
        job = (
            await session.execute(select(ScheduledJob).where(ScheduledJob.kind.not_in(monthly)))
        ).scalar_one()
        assert job.kind == "welfare_followup"
        delay = job.due_at - incident.created_at
        assert delay.total_seconds() == 24 * 3600  # Appendix A follow-up, default 24 h

    await slack.settle()
    # 1. The reporter's receipt names the case reference.
    sam_posts = slack.fake.posts_to("U0SAM")
    receipt = next(p for p in sam_posts if "saved as" in p["text"])
    assert person.reference in receipt["text"]
    assert_valid_message(receipt)
    # 2. The manager's card, in Jo's DM only.
    jo_posts = slack.fake.posts_to("U0JO")
    assert len(jo_posts) == 1
    card = jo_posts[0]
    assert_valid_message(card)
    text = str(card["blocks"])
    assert person.reference in text
    assert "Abuse, derogatory, discriminatory or defamatory remarks" in text
    assert "No - address this first" in text and "communicated regularly" in text
    assert "Police report required" not in text
    buttons = [
        e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == [
        ActionId.ACKNOWLEDGE,
        ActionId.RECORD_WARNING,
        ActionId.RECORD_POLICE,
        ActionId.PROPOSE_FROM_INCIDENT,
        ActionId.RECORD_NEEDS,  # s5: a new person has not been asked about their needs
    ]
    # 3. The welfare check-in, with its three answers.
    checkin = next(p for p in sam_posts if "How are you" in p["text"])
    assert_valid_message(checkin)
    checkin_buttons = [
        e["text"]["text"]
        for b in checkin["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert checkin_buttons == ["I'm OK", "I'd like to talk to my manager", "Show me support"]
    # Nobody else heard of it: personal data only to those who need it.
    others = {c["channel"] for c in slack.fake.calls_to("chat.postMessage")}
    assert others == {dm("U0SAM"), dm("U0JO")}


async def test_violence_marks_police_report_required(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    _status, ack = await slack.submit("U0SAM", view, answers(violence="yes"))
    assert ack["response_action"] == "update"
    await slack.settle()
    card = slack.fake.posts_to("U0JO")[0]
    assert "Police report required" in card["text"]
    assert "always reports this to the police (s6)" in str(card["blocks"])
    receipt = next(p for p in slack.fake.posts_to("U0SAM") if "saved as" in p["text"])
    assert "report this to the police" in str(receipt["blocks"])


async def test_no_manager_sends_card_to_authorisers(slack: SlackWorld) -> None:
    view = await open_incident_form(slack, "U0NIA")
    await slack.submit("U0NIA", view, answers())
    await slack.settle()
    for authoriser in ("U0ALEX", "U0BEA"):
        card = slack.fake.posts_to(authoriser)
        assert len(card) == 1
        assert "no manager in the staff directory" in str(card[0]["blocks"])
    assert slack.fake.posts_to("U0JO") == []


async def test_existing_person_found_by_type_ahead(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    await slack.submit("U0SAM", view, answers())
    async with slack.db.read() as session:
        person = (await session.execute(select(Person))).scalar_one()
    status, body = await slack.options("U0SAM", "person", "morg")
    assert status == 200
    assert [o["value"] for o in body["options"]] == [f"p:{person.id}"]
    assert person.reference in body["options"][0]["text"]["text"]
    status, body = await slack.options("U0SAM", "person", person.reference[:8].lower())
    assert [o["value"] for o in body["options"]] == [f"p:{person.id}"]

    view = await open_incident_form(slack)
    await slack.submit(
        "U0SAM",
        view,
        answers(
            new_person_name=None, person=f"p:{person.id}", channel="email", actions_taken=["warned"]
        ),
    )
    assert await count(slack, Person) == 1
    assert await count(slack, Incident) == 2


async def test_not_in_directory_gets_polite_message_and_nothing_stored(
    slack: SlackWorld,
) -> None:
    status, _ = await slack.command("U0STRANGER", "/incident")
    assert status == 200
    reply = await slack.eventually(lambda: slack.fake.responses, what="a response")
    text = reply[-1]["text"]
    assert "not in safecontact's staff directory" in text
    assert "Ada Admin" in text  # names who to ask
    assert slack.fake.calls_to("views.open") == []
    for cmd in ("/case", "/checkin"):
        await slack.command("U0STRANGER", cmd, "anything")
    await slack.eventually(lambda: len(slack.fake.responses) == 3, what="three replies")
    assert all("not in safecontact's staff directory" in r["text"] for r in slack.fake.responses)
    for model in (Incident, Person, WelfareCheckIn, OutboxMessage):
        assert await count(slack, model) == 0
