"""s3: the policy's lists of behaviour are examples ("may involve"), so each ends with an
"other", described in the reporter's words; through Slack and Teams."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from storage.models import Incident
from tests.e2e.test_slack_actions import report
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.slack_harness import SlackWorld
from tests.teams_harness import JO, TeamsWorld, visible
from tests.teams_harness import report as teams_report

FILMED = "Filmed staff at the counter <b>and</b> posted it, saying \u2018watch out\u2019."


async def test_an_other_behaviour_is_described_and_shown_as_written(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    groups = next(b for b in view["blocks"] if b.get("block_id") == "behaviours")
    offered = [o["value"] for g in groups["element"]["option_groups"] for o in g["options"]]
    assert offered[-1] == "other_demands" and "other_unacceptable" in offered
    # Chosen without a description, or described without being chosen: said at the field.
    _, ack = await slack.submit("U0SAM", view, answers(behaviours=["other_unacceptable"]))
    assert ack["errors"] == {
        "other_behaviour": "Describe the \u201cother\u201d behaviour you chose."
    }
    _, ack = await slack.submit("U0SAM", view, answers(other_behaviour=FILMED))
    assert "Choose the \u201cother\u201d it belongs to" in ack["errors"]["other_behaviour"]
    async with slack.db.read() as session:
        assert (await session.execute(select(func.count()).select_from(Incident))).scalar() == 0

    incident = await report(
        slack, behaviours=["abuse", "other_unacceptable"], other_behaviour=FILMED
    )
    assert incident.other_behaviour == FILMED
    card = next(p for p in slack.fake.posts_to("U0JO") if "Incident report" in p["text"])
    text = json.dumps(card["blocks"])
    assert "Other: Filmed staff at the counter &lt;b&gt;and&lt;/b&gt; posted it" in text


async def test_teams_shows_the_other_behaviour_as_written(teams: TeamsWorld) -> None:
    await teams.say(JO, "hi")
    await teams_report(teams, behaviours=["other_persistence"], other_behaviour=FILMED)
    await teams.settle()
    (card,) = teams.cards_to(JO, "Incident report")
    assert f"Other: {FILMED}" in visible(card.card)
