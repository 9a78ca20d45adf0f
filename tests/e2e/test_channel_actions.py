"""s6, "the following approaches should be used for the different ways that contact is
made": what staff did at the time is checked against the channel, through Slack and
Teams. The rules themselves: tests/unit/test_rules.py."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import AuditEvent, Incident, Person
from tests.e2e.test_slack_actions import report
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.e2e.test_teams_strategy import error_under
from tests.slack_harness import SlackWorld
from tests.teams_harness import TeamsWorld
from tests.teams_harness import answers as teams_answers
from tests.teams_harness import open_incident_form as open_teams_form


async def count(slack: SlackWorld, model: type) -> int:
    async with slack.db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_call_cannot_be_ended_on_an_email_report(slack: SlackWorld) -> None:
    view = await open_incident_form(slack)
    _, ack = await slack.submit(
        "U0SAM", view, answers(channel="email", actions_taken=["warned", "ended_call"])
    )
    assert ack["response_action"] == "errors", ack
    assert "Ending or holding a call is for a telephone call (s6)" in ack["errors"]["actions_taken"]
    # Nor ended on a call without the warning that comes first.
    _, ack = await slack.submit("U0SAM", view, answers(actions_taken=["ended_call"]))
    assert "Tick the warning too" in ack["errors"]["actions_taken"]
    assert await count(slack, Incident) == 0 and await count(slack, Person) == 0


async def test_blocking_follows_further_abuse_and_is_recorded_against_it(
    slack: SlackWorld,
) -> None:
    online = {"channel": "social_media", "behaviours": ["abuse"]}
    # A first post from someone new: record it and delete it; blocking is refused.
    view = await open_incident_form(slack)
    _, ack = await slack.submit(
        "U0SAM", view, answers(**online, actions_taken=["post_deleted", "blocked"])
    )
    assert ack["response_action"] == "errors", ack
    assert "it is further abuse that leads to blocking" in ack["errors"]["actions_taken"]
    assert await count(slack, Person) == 0  # nothing half-written
    first = await report(slack, **online, actions_taken=["post_deleted"])
    # Their next abusive post: blocking is accepted, and recorded against the first.
    second = await report(
        slack,
        **online,
        new_person_name=None,
        person=f"p:{first.person_id}",
        actions_taken=["post_deleted", "blocked"],
    )
    assert second.id != first.id and second.actions_taken == ["post_deleted", "blocked"]
    async with slack.db.read() as session:
        event = (
            await session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "incident.reported",
                    AuditEvent.entity_id == str(second.id),
                )
            )
        ).scalar_one()
    assert event.detail["blocked_after"] == f"incident:{first.id}"


async def test_teams_gives_the_refusal_under_the_field(teams: TeamsWorld) -> None:
    form = await open_teams_form(teams)
    _, answer = await teams.submit(
        "aad-sam", form, teams_answers(channel="letter", actions_taken=["post_deleted"])
    )
    again = answer["value"]
    assert "Recording and deleting a post is for social media (s6)" in error_under(
        again, "actions_taken"
    )


async def test_a_strategy_that_blocks_social_media_permits_the_block(slack: SlackWorld) -> None:
    """s6, electronic: blocking is recorded against the authorisation that permits it."""
    from tests.monitoring_support import put_in_force

    strategy = await put_in_force(
        slack,
        restrictions=["block_channels"],
        blocked_channels=["social_media"],
        reported={"channel": "email", "actions_taken": ["warned"]},
    )
    blocked = await report(
        slack,
        channel="social_media",
        behaviours=["abuse"],
        new_person_name=None,
        person=f"p:{strategy.person_id}",
        actions_taken=["post_deleted", "blocked"],
    )
    async with slack.db.read() as session:
        event = (
            await session.execute(
                select(AuditEvent).where(
                    AuditEvent.action == "incident.reported",
                    AuditEvent.entity_id == str(blocked.id),
                )
            )
        ).scalar_one()
    assert event.detail["blocked_after"] == f"contact_strategy:{strategy.id}"
