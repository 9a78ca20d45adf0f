"""Further action on a case, such as legal advice (s7.2), on Slack and on Teams.

A flow added after the transports became generic dispatchers: it is declared in
dialogs/further_action/ and shown by the /case templates, and nothing in bot/ knows it.
Only an authoriser (the senior managers s7.2 means) may record it; /case shows that it
was done, when and by whom, and the case file keeps the details.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cards.ids import ActionId
from dialogs.case.file import full_record
from dialogs.case.text import as_text
from storage.models import AuditEvent, FurtherAction, Person
from tests.e2e.test_teams_strategy import everyone_opens, reference_of
from tests.e2e.test_teams_strategy import put_in_force as put_in_force_on_teams
from tests.monitoring_support import (
    Clock,
    buttons,
    case,
    clocked_slack,
    open_form,
    put_in_force,
    reference,
    refusal,
    text_of,
)
from tests.slack_harness import SlackWorld
from tests.teams_harness import ALEX, CARD, NIA, start_teams
from tests.teams_harness import buttons as card_buttons

ADVICE = "Asked counsel whether an injunction is open to us; <b>privileged</b> & confidential."
REFUSED = "Only an authoriser"


@pytest.fixture
async def world(fresh_db_url: str) -> AsyncIterator[tuple[SlackWorld, Clock]]:
    async with clocked_slack(fresh_db_url) as made:
        yield made


async def test_an_authoriser_records_legal_advice_and_case_shows_it(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    ref = await reference(slack, strategy.person_id)
    summary = await case(slack, "U0ALEX", ref)
    assert buttons(summary)[ActionId.RECORD_FURTHER_ACTION] == str(strategy.person_id)
    assert "Further action" not in text_of(summary)

    view = await open_form(slack, "U0ALEX", ActionId.RECORD_FURTHER_ACTION, strategy.person_id)
    assert view["callback_id"] == "further_action"
    assert "legal advice" in text_of(view)
    sought_on = date.today() - timedelta(days=2)
    # A date still to come is refused under its field, and nothing is stored.
    status, ack = await slack.submit(
        "U0ALEX",
        view,
        {
            "further_kind": "legal_advice_sought",
            "further_taken_on": (date.today() + timedelta(days=3)).isoformat(),
            "further_details": ADVICE,
        },
    )
    assert status == 200 and ack["response_action"] == "errors"
    assert set(ack["errors"]) == {"further_taken_on"}
    status, ack = await slack.submit(
        "U0ALEX",
        view,
        {
            "further_kind": "legal_advice_sought",
            "further_taken_on": sought_on.isoformat(),
            "further_details": ADVICE,
        },
    )
    assert status == 200 and ack["response_action"] == "update", ack
    confirmation = text_of(ack["view"])
    assert f"Legal advice sought recorded on {ref}, dated {sought_on:%-d %B %Y}." in confirmation

    # Every member of staff sees that it was done, when and by whom; never the advice.
    seen = text_of(await case(slack, "U0SAM", ref))
    assert f"Legal advice sought, {sought_on:%-d %b %Y} (Alex Morgan)" in seen
    assert "counsel" not in seen
    assert ActionId.RECORD_FURTHER_ACTION not in buttons(await case(slack, "U0SAM", ref))

    async with slack.db.read() as session:
        (row,) = (await session.execute(select(FurtherAction))).scalars().all()
        person = await session.get(Person, strategy.person_id)
        assert person is not None
        record = await full_record(session, person=person, zone=ZoneInfo("Europe/London"))
        (event,) = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "further_action.recorded")
            )
        ).scalars()
    assert (row.kind, row.taken_on, row.details) == ("legal_advice_sought", sought_on, ADVICE)
    # The case file keeps the details; the audit trail names the record, not its text.
    printed = as_text(record)
    assert "Further action (s7.2) (1)" in printed and "counsel" in printed
    assert event.entity_type == "further_action" and "counsel" not in str(event.detail)


async def test_only_an_authoriser_may_record_it(world: tuple[SlackWorld, Clock]) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    # The button is not offered, and a forged click is refused in words.
    assert REFUSED in await refusal(
        slack, "U0SAM", ActionId.RECORD_FURTHER_ACTION, strategy.person_id
    )
    # A submission forged from an authoriser's form is refused too; nothing is stored.
    view = await open_form(slack, "U0ALEX", ActionId.RECORD_FURTHER_ACTION, strategy.person_id)
    status, ack = await slack.submit(
        "U0SAM",
        view,
        {
            "further_kind": "other",
            "further_taken_on": date.today().isoformat(),
            "further_details": "Wrote to their MP.",
        },
    )
    assert status == 200 and REFUSED in text_of(ack.get("view") or {"blocks": [ack]})
    async with slack.db.read() as session:
        assert (await session.execute(select(FurtherAction))).scalars().all() == []


async def test_on_teams_the_same_form_and_rule(fresh_db_url: str) -> None:
    teams, stop = await start_teams(fresh_db_url)
    try:
        await everyone_opens(teams)
        strategy = await put_in_force_on_teams(teams)
        ref = await reference_of(teams, strategy.person_id)
        summary = await teams.say(ALEX, f"case {ref}")
        form = await teams.open_form(ALEX, summary, "Record further action")
        status, answer = await teams.submit(
            ALEX,
            form,
            {
                "further_kind": "legal_advice_received",
                "further_taken_on": date.today().isoformat(),
                "further_details": ADVICE,
            },
        )
        assert status == 200 and answer["type"] == CARD, answer
        assert f"Legal advice received recorded on {ref}" in str(answer["value"])
        seen = await teams.say(NIA, f"case {ref}")
        assert "Legal advice received" in str(seen) and "counsel" not in str(seen)
        assert "Record further action" not in [b["title"] for b in card_buttons(seen)]
        text = await teams.refused(
            NIA, ActionId.RECORD_FURTHER_ACTION, {"person_id": strategy.person_id}
        )
        assert REFUSED in text
        teams.assert_all_cards_valid()
    finally:
        await stop()
