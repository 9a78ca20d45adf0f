"""s6, police, always, on Teams: `waiting` lists a referral still to record, and an
authoriser records why it is not being made from there (the Slack twin, with the chase,
is tests/e2e/test_slack_police.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.models import Incident
from tests.e2e.test_teams_actions import card_now, reported
from tests.teams_harness import BEA, JO, TeamsWorld, buttons, visible

STILL_TO_RECORD = "a police report still to record (s6)"


def police_buttons(card: dict[str, Any]) -> list[str]:
    """The titles of the buttons about the police (Jo's list also offers Acknowledge)."""
    return [b["title"] for b in buttons(card) if "police" in b["title"]]


async def test_waiting_lists_an_open_referral_and_an_authoriser_closes_it(
    teams: TeamsWorld,
) -> None:
    _card, activity_id, reference = await reported(teams, violence="yes")
    await teams.say(BEA, "hi")
    # The manager's list offers what the manager may do; an authoriser's, the decision too.
    mine = await teams.say(JO, "waiting")
    assert f"{reference} - {STILL_TO_RECORD}" in visible(mine)
    assert police_buttons(mine) == ["Record police referral"]
    theirs = await teams.say(BEA, "waiting")
    assert police_buttons(theirs) == ["Record police referral", "Not reporting to police"]
    # A manager's forged invoke is refused by the server, with no form.
    async with teams.db.read() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
    said = await teams.refused(JO, "incident_not_referred", {"incident_id": incident.id})
    assert said.startswith("Only an authoriser can record that a police report will not be made")

    form = await teams.open_form(BEA, theirs, "Not reporting to police")
    assert "always reports that to the police (s6)" in visible(form)
    # Nothing written is refused under the field; the form stays.
    _status, answer = await teams.submit(BEA, form, {"not_referred_reason": ""})
    assert "Please answer" in str(answer)
    reason = "Police attended **at once**; <at>everyone</at> gave statements."
    _status, answer = await teams.submit(BEA, form, {"not_referred_reason": reason})
    assert "not reported to the police" in str(answer)
    await teams.settle()

    # Jo's card now says so, escaped as written; and nothing is waiting any more.
    now = visible(card_now(teams, JO, activity_id))
    assert "Not reported to the police, decided by Bea Khan on" in now
    assert "Police attended **at once**; <at>everyone</at> gave statements." in now
    assert STILL_TO_RECORD not in visible(await teams.say(JO, "waiting"))
    assert STILL_TO_RECORD not in visible(await teams.say(BEA, "waiting"))
    case = visible(await teams.say(BEA, f"case {reference}"))
    assert "1 incident not reported, with an authoriser's reason" in case
    teams.assert_all_cards_valid()
