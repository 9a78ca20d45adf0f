"""s5: a person's needs, asked at the outset, recorded whenever told and taken at face
value, with their history kept; and a strategy that keeps what they rule out. Through
Slack and Teams."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from cards.ids import ActionId
from storage.models import AuditEvent, ContactStrategy, Person
from tests.e2e.test_slack_actions import report
from tests.e2e.test_slack_incident import assert_valid_message, assert_valid_view
from tests.e2e.test_slack_strategy import open_proposal, proposal
from tests.e2e.test_teams_actions import reported
from tests.slack_harness import SlackWorld
from tests.teams_harness import JO, TeamsWorld, buttons, visible

NOT_ASKED = "They have not yet been asked whether they need help to communicate with us (s5)"


def told(**overrides: Any) -> dict[str, Any]:
    return {
        "needs_told": "needs",
        "needs_text": "Partially sighted <b>: needs large print & calls kept short.",
        "needs_adjustments": "Letters in large print.",
        "needs_unusable_methods": ["telephone"],
        "needs_told_on": date.today().isoformat(),
        **overrides,
    }


async def person_of(slack: SlackWorld | TeamsWorld, person_id: int) -> Person:
    async with slack.db.read() as session:
        found = await session.get(Person, person_id)
        assert found is not None
        return found


async def test_needs_are_asked_at_the_outset_and_kept_with_their_history(
    slack: SlackWorld,
) -> None:
    incident = await report(slack, known_needs="")
    card = next(p for p in slack.fake.posts_to("U0JO") if "Incident report" in p["text"])
    assert NOT_ASKED in json.dumps(card["blocks"])
    assert {"action_id": ActionId.RECORD_NEEDS, "value": str(incident.person_id)}.items() <= next(
        e
        for b in card["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ActionId.RECORD_NEEDS
    ).items()

    view = await slack.form_behind("U0JO", ActionId.RECORD_NEEDS, incident.person_id)
    assert_valid_view(view)
    # Taken at face value: what they said, never an assessment; mismatches come back.
    for answers, field, message in (
        (told(needs_told="none"), "needs_told", "choose that they told us what they need"),
        (
            told(needs_text=None, needs_adjustments=None, needs_unusable_methods=[]),
            "needs_text",
            "Write what they told us",
        ),
        (
            told(needs_told_on=(date.today() + timedelta(days=2)).isoformat()),
            "needs_told_on",
            "in the future",
        ),
    ):
        _, ack = await slack.submit("U0JO", view, answers)
        assert ack["response_action"] == "errors", ack
        assert message in ack["errors"][field]
    assert not (await person_of(slack, incident.person_id)).needs_history  # not yet asked

    _, ack = await slack.submit("U0JO", view, told())
    assert ack["response_action"] == "update", ack
    await slack.settle()
    who = await person_of(slack, incident.person_id)
    assert who.additional_needs == "Partially sighted <b>: needs large print & calls kept short."
    assert who.reasonable_adjustments == "Letters in large print."
    assert who.unusable_methods == ["telephone"] and who.needs_history  # asked
    # The manager's card stops asking.
    update = slack.fake.calls_to("chat.update")[-1]
    assert_valid_message(update)
    assert NOT_ASKED not in json.dumps(update["blocks"])
    assert ActionId.RECORD_NEEDS not in json.dumps(update["blocks"])

    # Later they tell us they need nothing extra: recorded, and the first answer kept.
    view = await slack.form_behind("U0JO", ActionId.RECORD_NEEDS, incident.person_id)
    _, ack = await slack.submit(
        "U0JO",
        view,
        told(needs_told="none", needs_text=None, needs_adjustments=None, needs_unusable_methods=[]),
    )
    assert "they need nothing extra" in json.dumps(ack["view"])
    who = await person_of(slack, incident.person_id)
    assert (who.additional_needs, who.unusable_methods) == ("", [])
    assert [h["none_given"] for h in who.needs_history or []] == [False, True]
    assert who.needs_history[0]["unusable_methods"] == ["telephone"]  # type: ignore[index]
    async with slack.db.read() as session:
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert actions.count("person.needs") == 2


async def test_a_strategy_keeps_the_methods_their_needs_rule_out(slack: SlackWorld) -> None:
    incident = await report(slack)
    view = await slack.form_behind("U0JO", ActionId.RECORD_NEEDS, incident.person_id)
    await slack.submit("U0JO", view, told())
    await slack.settle()
    form = await open_proposal(slack, "U0JO", incident.id)
    block = next(b for b in form["blocks"] if b.get("block_id") == "unusable_methods")
    assert [o["value"] for o in block["element"]["initial_options"]] == ["telephone"]
    # Unticking what their needs rule out does not make the telephone usable to them.
    only_phone = proposal(
        restrictions=["single_method"],
        contact_method="telephone",
        unusable_methods=[],
        letter_channel="letter",
        incidents=[str(incident.id)],
    )
    _, ack = await slack.submit("U0JO", form, only_phone)
    assert ack["response_action"] == "errors", ack
    assert "no method they can use" in ack["errors"]["restrictions"]
    ok = proposal(restrictions=["call_limit"], unusable_methods=[], incidents=[str(incident.id)])
    _, ack = await slack.submit("U0JO", form, ok)
    assert ack["response_action"] == "update", ack
    async with slack.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
    assert strategy.unusable_methods == ["telephone"]


async def test_teams_records_needs_from_case(teams: TeamsWorld) -> None:
    card, _activity, reference = await reported(teams)
    assert NOT_ASKED in visible(card)
    case = await teams.say(JO, f"case {reference}")
    assert NOT_ASKED in visible(case)
    form = await teams.open_form(JO, case, "Record needs")
    assert "Taken at face value" in visible(form)
    _status, answer = await teams.submit(JO, form, told())
    assert "Needs recorded" in str(answer)
    case = await teams.say(JO, f"case {reference}")
    assert NOT_ASKED not in visible(case)
    assert "Partially sighted <b>: needs large print & calls kept short." in visible(case)
    assert "Record needs" in [b["title"] for b in buttons(case)]
    teams.assert_all_cards_valid()


async def test_a_single_point_of_contact_is_appointed_informally(slack: SlackWorld) -> None:
    """s6: appointing a SPOC is one of the ways to address behaviour before any restriction:
    a manager appoints one, /case shows it, and the person is told by letter."""
    from storage.models import Letter
    from tests.monitoring_support import case, open_form, refusal, text_of

    incident = await report(slack)
    who = await person_of(slack, incident.person_id)
    assert (
        "only a manager"
        in (await refusal(slack, "U0NIA", ActionId.APPOINT_SPOC, incident.person_id)).lower()
    )
    view = await open_form(slack, "U0JO", ActionId.APPOINT_SPOC, incident.person_id)
    block = next(b for b in view["blocks"] if b.get("block_id") == "spoc_staff")
    sam = next(o["value"] for o in block["element"]["options"] if o["text"]["text"] == "Sam Patel")
    _, ack = await slack.submit("U0JO", view, {"spoc_staff": sam})
    assert ack["response_action"] == "update", ack
    await slack.settle()
    who = await person_of(slack, incident.person_id)
    assert who.spoc_staff_id is not None and who.spoc_since is not None
    shown = text_of(await case(slack, "U0NIA", who.reference))
    assert "*Single point of contact*: Sam Patel, since" in shown and "informal step, s6" in shown
    async with slack.db.read() as session:
        letter = (
            await session.execute(select(Letter).where(Letter.kind == "spoc_appointed"))
        ).scalar_one()
    assert "we have asked Sam Patel" in " ".join(letter.text.split())
    assert "This is not a restriction" in letter.text


async def test_teams_appoints_a_single_point_of_contact_from_case(teams: TeamsWorld) -> None:
    _card, _activity, reference = await reported(teams)
    case = await teams.say(JO, f"case {reference}")
    form = await teams.open_form(JO, case, "Single point of contact")
    from tests.e2e.test_teams_strategy import choice

    _status, answer = await teams.submit(
        JO, form, {"spoc_staff": choice(form, "spoc_staff", "Sam Patel")}
    )
    assert "Sam Patel is now the single point of contact" in str(answer)
    case = await teams.say(JO, f"case {reference}")
    assert "Single point of contact: Sam Patel, since" in visible(case)
    teams.assert_all_cards_valid()
