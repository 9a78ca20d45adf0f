"""What happens after a report on Teams: the manager's buttons and the welfare check-in.

Each button is an Action.Execute invoke. Buttons leave their card alone and show a short
message; the card is then updated in place by the outbox (PUT on the stored activity id),
so the fake connector's view of the chat is what the manager would see.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from storage.models import (
    AuditEvent,
    Incident,
    Letter,
    PoliceReferral,
    StaffMember,
    Warning,
    WelfareCheckIn,
)
from tests.teams_harness import (
    JO,
    SAM,
    TeamsWorld,
    buttons,
    conversation,
    inputs,
    report,
    visible,
)

MESSAGE = "application/vnd.microsoft.activity.message"


async def reported(teams: TeamsWorld, **overrides: Any) -> tuple[dict[str, Any], str, str]:
    """Jo has opened the bot; Sam reports. (Jo's card, its activity id, the case reference.)"""
    await teams.say(JO, "hi")
    await report(teams, **overrides)
    await teams.settle()
    (sent,) = teams.fake.sends_to(conversation(JO))
    async with teams.db.read() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
    reference = sent.card["fallbackText"].removeprefix("Incident report ").split(" ")[0]
    assert incident.id == sent.card["actions"][0]["data"]["incident_id"]
    return sent.card, str(sent.activity_id), reference


def card_now(teams: TeamsWorld, user: str, activity_id: str) -> dict[str, Any]:
    """The card as the user sees it now, after any updates."""
    activity = teams.fake.conversations[conversation(user)][activity_id]
    return activity["attachments"][0]["content"]


async def test_acknowledge_updates_the_card_in_place(teams: TeamsWorld) -> None:
    card, activity_id, reference = await reported(teams)
    status, answer = await teams.click(JO, card, "Acknowledge")
    assert status == 200
    assert answer == {
        "statusCode": 200,
        "type": MESSAGE,
        "value": f"Acknowledged {reference}. Thank you.",
    }
    await teams.settle()
    (update,) = teams.fake.updates_in(conversation(JO))
    assert update.activity_id == activity_id  # update_activity on the stored id
    now = card_now(teams, JO, activity_id)
    assert "Acknowledged by Jo Reed at" in visible(now)
    assert "Acknowledge" not in [b["title"] for b in buttons(now)]
    async with teams.db.read() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
        jo = (
            await session.execute(select(StaffMember).where(StaffMember.name == "Jo Reed"))
        ).scalar_one()
        assert incident.acknowledged_by_id == jo.id
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
        assert "incident.acknowledged" in actions

    # First acknowledgement wins; a second click is told who and when.
    _status, again = await teams.click(JO, card, "Acknowledge")
    assert again["type"] == MESSAGE and again["value"].startswith(
        "Already acknowledged by Jo Reed at"
    )
    # The reporter cannot act on their own report.
    _status, own = await teams.click(SAM, card, "Acknowledge")
    assert own["value"] == "You reported this incident, so its follow-up is for your manager."
    assert len(teams.fake.updates_in(conversation(JO))) == 1


async def test_written_warning_delivers_the_letter(teams: TeamsWorld) -> None:
    card, activity_id, reference = await reported(teams)
    status, answer = await teams.click(JO, card, "Record warning")
    assert status == 200 and answer["type"] == MESSAGE
    form = teams.fake.replies_in(conversation(JO))[-1].card  # posted below the card
    assert form["fallbackText"] == "Record a warning"
    assert {i["id"]: i["type"] for i in inputs(form)} == {
        "warning_kind": "Input.ChoiceSet",
        "given_on": "Input.Date",
        "behaviour_to_change": "Input.Text",
    }
    today = teams.runtime.clock().astimezone(teams.runtime.settings.policy.zone).date()
    assert next(i for i in inputs(form) if i["id"] == "given_on")["value"] == today.isoformat()

    # A date in the future comes back under its field, with the rest kept.
    future = (today + timedelta(days=2)).isoformat()
    change = "Stop **shouting** at staff <at>everyone</at>; write to us instead."
    _status, answer = await teams.submit(
        JO, form, {"warning_kind": "written", "given_on": future, "behaviour_to_change": change}
    )
    again = answer["value"]
    assert "This date is in the future." in visible(again)
    assert next(i for i in inputs(again) if i["id"] == "behaviour_to_change")["value"] == change

    _status, answer = await teams.submit(
        JO, again, {"warning_kind": "written", "given_on": today.isoformat()}
    )
    confirmation = visible(answer["value"])
    assert "Warning recorded" in confirmation
    assert f"Written warning (a letter is prepared) recorded for {reference}" in confirmation
    await teams.settle()
    async with teams.db.read() as session:
        warning = (await session.execute(select(Warning))).scalar_one()
        letter = (await session.execute(select(Letter))).scalar_one()
    assert warning.kind == "written" and warning.behaviour_to_change == change
    # The letter arrives as a card with its full text, the markup shown literally.
    letter_card = next(
        c.card
        for c in teams.fake.sends_to(conversation(JO))
        if c.card["fallbackText"] == letter.subject
    )
    shown = visible(letter_card)
    assert f"Letter for {reference}" in shown
    assert "Dear Morgan Example," in shown
    assert change in shown
    assert "It is also kept in the case file." in shown
    # And the manager's card now says what was done, in place.
    now = card_now(teams, JO, activity_id)
    assert f"Written warning given {today:%d %b %Y}, recorded by Jo Reed" in visible(now)


async def test_police_referral_is_recorded_and_shown_on_the_card(teams: TeamsWorld) -> None:
    card, activity_id, reference = await reported(teams, violence="yes")
    await teams.click(JO, card, "Record police referral")
    form = teams.fake.replies_in(conversation(JO))[-1].card
    assert form["fallbackText"] == "Record police referral"
    _status, answer = await teams.submit(JO, form, {"police_reference": ""})
    assert "Please answer this question." in visible(answer["value"])
    _status, answer = await teams.submit(JO, form, {"police_reference": "CR/123/26"})
    assert f"Police referral recorded for {reference}." in visible(answer["value"])
    await teams.settle()
    async with teams.db.read() as session:
        referral = (await session.execute(select(PoliceReferral))).scalar_one()
    assert referral.police_reference == "CR/123/26"
    now = card_now(teams, JO, activity_id)
    assert "Police referral CR/123/26 on" in visible(now) and "recorded by Jo Reed" in visible(now)


async def checkin_card(teams: TeamsWorld) -> dict[str, Any]:
    await teams.settle()
    return next(
        c.card
        for c in teams.fake.sends_to(conversation(SAM))
        if "How are you" in c.card["fallbackText"]
    )


async def test_welfare_ok_replaces_the_checkin(teams: TeamsWorld) -> None:
    await reported(teams)
    checkin = await checkin_card(teams)
    status, answer = await teams.click(SAM, checkin, "I'm OK")
    assert status == 200
    card = answer["value"]
    assert "You answered: I'm OK" in visible(card)
    assert "Thanks for letting me know" in visible(card)
    assert buttons(card) == []
    async with teams.db.read() as session:
        row = (await session.execute(select(WelfareCheckIn))).scalar_one()
    assert row.answer == "ok"
    # Someone else's check-in is not found: its existence is welfare data too.
    _status, other = await teams.click(JO, checkin, "I'm OK")
    assert other["value"] == "That check-in could not be found."


async def test_welfare_talk_tells_the_manager_only_that(teams: TeamsWorld) -> None:
    await reported(teams)
    checkin = await checkin_card(teams)
    _status, answer = await teams.click(SAM, checkin, "I'd like to talk to my manager")
    assert "I'm asking Jo Reed to get in touch with you" in visible(answer["value"])
    await teams.settle()
    talk = [
        c.card
        for c in teams.fake.sends_to(conversation(JO))
        if "would like to talk" in c.card["fallbackText"]
    ]
    assert len(talk) == 1
    assert (
        visible(talk[0])
        == "💬 Sam Patel would like to talk to you. Please get in touch with them when you can."
    )
    # A second click does not ask again.
    await teams.click(SAM, checkin, "I'd like to talk to my manager")
    await teams.settle()
    assert (
        len([c for c in teams.fake.sends_to(conversation(JO)) if "talk" in c.card["fallbackText"]])
        == 1
    )


async def test_welfare_support_and_the_private_checklist(teams: TeamsWorld) -> None:
    checkin = await teams.say(SAM, "checkin")
    _status, answer = await teams.click(SAM, checkin, "Show me support")
    assert "You answered: Show me support" in visible(answer["value"])
    support = teams.fake.replies_in(conversation(SAM))[-1].card
    assert "Support available to you" in visible(support)
    toggles = [i for i in inputs(support) if i["type"] == "Input.Toggle"]
    assert len(toggles) == 10 and all(t["value"] == "false" for t in toggles)
    (save,) = buttons(support)
    data = {**save["data"], **{t["id"]: "false" for t in toggles}}
    data["privacy__no_face"] = data["privacy__search_self"] = "true"
    status, saved = await teams.invoke(SAM, save["verb"], data)
    assert status == 200 and saved["type"] == MESSAGE and saved["value"].startswith("Saved.")
    async with teams.db.read() as session:
        row = (await session.execute(select(WelfareCheckIn))).scalar_one()
    assert row.privacy_steps_done == ["no_face", "search_self"]
    # A step that is not on the checklist is refused and changes nothing.
    _status, refused = await teams.invoke(SAM, save["verb"], {**data, "privacy__made_up": "true"})
    assert refused["value"] == "That step is not on the checklist."
