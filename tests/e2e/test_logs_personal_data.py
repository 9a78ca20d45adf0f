"""No personal data in the log, at any level, on any path (issue 16).

Flows run with a sentinel name and sentinel text, on Slack and Teams, through their
success paths and their refusals ("No one on file matches '<name>'", a type-ahead that
finds no one, a refusal on the App Home that Slack will not show as a modal, text with
a control character). Everything logged, at DEBUG, through both of the bot's formats, is
then searched for the sentinel.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import logging_setup
from cards.ids import ActionId
from tests.e2e.test_slack_actions import report as slack_report
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.slack_harness import SlackWorld
from tests.teams_harness import SAM, TeamsWorld, visible
from tests.teams_harness import report as teams_report

SENTINEL = "Quillfeather"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, as the bot writes it in each format."""
    buf = io.StringIO()
    handlers = [logging_setup.handler_for(f, buf) for f in logging_setup.FORMATS]
    root = logging.getLogger()
    level = root.level
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging_setup.quiet_libraries()
    try:
        yield buf
    finally:
        root.setLevel(level)
        for handler in handlers:
            root.removeHandler(handler)


def assert_clean(buf: io.StringIO) -> None:
    text = buf.getvalue()
    assert text, "the flows logged nothing: the scan would prove nothing"
    assert SENTINEL.lower() not in text.lower(), [
        line for line in text.splitlines() if SENTINEL.lower() in line.lower()
    ][:5]


async def test_slack_flows_and_refusals_log_no_names(
    slack: SlackWorld, logged: io.StringIO
) -> None:
    name = f"Morgan {SENTINEL}"
    incident = await slack_report(
        slack, new_person_name=name, what_happened=f"{SENTINEL} shouted at the desk."
    )
    await slack.click("U0JO", ActionId.ACKNOWLEDGE, str(incident.id))
    await slack.settle()
    # Refusals that quote what was typed.
    await slack.command("U0NIA", "/case", f"Nobody {SENTINEL}")
    await slack.command("U0NIA", "/case", f"{SENTINEL}\x1b[2J")
    await slack.options("U0SAM", "person", f"{SENTINEL}%")
    view = await open_incident_form(slack)
    _, ack = await slack.submit("U0SAM", view, answers(what_happened=f"{SENTINEL}\x00"))
    assert ack["response_action"] == "errors"
    await slack.eventually(lambda: len(slack.fake.responses) >= 2, what="the refusals")
    assert any(f"Nobody {SENTINEL}" in r["text"] for r in slack.fake.responses)

    # A refusal on the App Home when Slack will not open the modal (an expired trigger):
    # the person is told in their DM, and the log says only what failed.
    slack.fake.fail("views.open", status=200, error="expired_trigger_id")
    await slack.click("U0JO", ActionId.ACKNOWLEDGE, str(incident.id), container="view")
    told = await slack.eventually(
        lambda: [p for p in slack.fake.posts_to("U0JO") if "Already acknowledged" in p["text"]],
        what="the refusal in Jo's DM",
    )
    assert told
    assert "could not open a refusal on the App Home (SlackApiError)" in logged.getvalue()
    assert_clean(logged)


async def test_teams_flows_and_refusals_log_no_names(
    teams: TeamsWorld, logged: io.StringIO
) -> None:
    await teams_report(teams, new_person_name=f"Morgan {SENTINEL}")
    await teams.settle()
    card = await teams.say(SAM, f"case Nobody {SENTINEL}")
    assert f"Nobody {SENTINEL}" in visible(card)
    await teams.say(SAM, f"case {SENTINEL}\x1b[2J")
    assert_clean(logged)


def test_an_exception_quoting_a_name_is_logged_by_type_and_place_only() -> None:
    buf = io.StringIO()
    log = logging.getLogger("tests.personal_data")
    handlers = [logging_setup.handler_for(f, buf) for f in logging_setup.FORMATS]
    for handler in handlers:
        log.addHandler(handler)
    try:
        try:
            try:
                raise LookupError(f"No one on file matches '{SENTINEL}'")
            except LookupError as inner:
                raise RuntimeError(f"while finding {SENTINEL}") from inner
        except RuntimeError as exc:
            log.error("unexpected error (ref %s)", "abc123", exc_info=exc)
            log.warning("job %s failed: %r", "k1", exc)
    finally:
        for handler in handlers:
            log.removeHandler(handler)
    text = buf.getvalue()
    assert SENTINEL not in text
    # What an admin needs is still there: where it failed and what kind of failure.
    assert "LookupError (message withheld from the log)" in text
    assert "RuntimeError" in text and "test_logs_personal_data.py" in text
    assert "ref abc123" in text and "job k1 failed" in text
