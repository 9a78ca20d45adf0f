"""GET /metrics and the logs: what an operator sees of a running bot, and what they never
see (a person's name, an email, what someone wrote).
"""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import logging_setup
from bot.metrics import Metrics
from dialogs.office import PolicySettings
from storage.models import ScheduledJob, utcnow
from tests.e2e.test_slack_incident import answers, open_incident_form
from tests.slack_harness import SlackWorld, start_world

HOSTILE_NAME = "Morgan <!channel> Example"
WHAT = "Rang shouting about <@U123> and <http://evil.example|Open> at sam@example.org"
PRIVATE = ("Morgan", "Sam Patel", "Jo Reed", "sam@example.org", "jo@example.org", "shouting")


async def report(world: SlackWorld, user: str = "U0SAM") -> None:
    view = await open_incident_form(world, user)
    status, ack = await world.submit(
        user, view, answers(new_person_name=HOSTILE_NAME, what_happened=WHAT)
    )
    assert status == 200 and ack["response_action"] == "update", ack


async def scrape(world: SlackWorld, **headers: str) -> tuple[int, str]:
    async with world.http.get(f"{world.url}/metrics", headers=headers) as resp:
        return resp.status, await resp.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text)[(name, tuple(sorted(labels.items())))]


async def test_metrics_show_latency_deliveries_and_the_backlog(slack: SlackWorld) -> None:
    await report(slack)
    await slack.settle()
    status, text = await scrape(slack)
    assert status == 200
    # Request latency by route, acks within Slack's deadline, deliveries by platform.
    assert value(
        text, "safecontact_http_request_duration_seconds_count", endpoint="/slack/events",
        method="POST",
    ) >= 2  # fmt: skip
    assert value(text, "safecontact_ack_duration_seconds_count", transport="slack_http") >= 2
    assert value(text, "safecontact_acks_past_deadline_total", transport="slack_http") == 0
    assert value(text, "safecontact_deliveries_total", platform="slack", result="sent") >= 3
    assert value(text, "safecontact_outbox_messages", status="pending") == 0
    assert value(text, "safecontact_outbox_oldest_due_seconds") == 0
    assert value(text, "safecontact_jobs", state="overdue") == 0
    assert 0 <= value(text, "safecontact_audit_head_age_seconds") < 60
    assert value(text, "safecontact_database_up") == 1


async def test_no_personal_data_in_any_label(slack: SlackWorld) -> None:
    await report(slack)
    await slack.settle()
    await slack.home("U0JO")
    _, text = await scrape(slack)
    allowed_keys = {"endpoint", "method", "transport", "platform", "result", "status", "state"}
    allowed_keys.add("le")  # histogram buckets
    for (_, labels), _ in samples(text).items():
        for key, label in labels:
            assert key in allowed_keys, key
            for private in (*PRIVATE, "U0SAM", "U0JO", "SC-"):
                assert private not in label, (key, label)
    assert "Morgan" not in text and "U0SAM" not in text


async def test_a_platform_that_is_down_shows_in_the_metrics(fresh_db_url: str) -> None:
    # Enough attempts that the messages are still waiting (not yet failed) when scraped.
    world, stop = await start_world(fresh_db_url, policy=PolicySettings(outbox_max_attempts=100))
    try:
        world.fake.fail("chat.postMessage", status=500, times=1000)
        world.fake.fail("files.getUploadURLExternal", status=500, times=1000)
        await report(world)
        await world.eventually(lambda: world.fake.calls_to("chat.postMessage!500"), what="a try")
        async with world.db.write() as session:
            session.add(
                ScheduledJob(
                    key="welfare-followup:late",
                    kind="welfare_followup",
                    due_at=utcnow() - timedelta(hours=2),
                    payload={},
                )
            )
        world.runtime.outbox_wakeup.set()
        await world.eventually(
            lambda: world.fake.calls_to("chat.postMessage!500")[2:], what="retries"
        )
        _, text = await scrape(world)
        assert value(text, "safecontact_deliveries_total", platform="slack", result="retry") >= 2
        waiting = value(text, "safecontact_outbox_messages", status="pending")
        waiting += value(text, "safecontact_outbox_messages", status="sending")  # mid-try
        assert waiting >= 1
        assert value(text, "safecontact_outbox_oldest_due_seconds") > 0
        assert value(text, "safecontact_jobs", state="overdue") == 1
    finally:
        await stop()


def test_an_ack_past_the_deadline_is_counted() -> None:
    metrics = Metrics()
    metrics.acked("slack_socket", 0.2)
    metrics.acked("slack_socket", 3.4)
    metrics.acked("teams_invoke", 4.0)  # Teams allows 5 s for a card's button
    text = metrics.render().decode()
    assert value(text, "safecontact_acks_past_deadline_total", transport="slack_socket") == 1
    assert value(text, "safecontact_acks_past_deadline_total", transport="teams_invoke") == 0


async def test_metrics_answer_this_computer_only_or_a_bearer_token(fresh_db_url: str) -> None:
    world, stop = await start_world(fresh_db_url)
    try:
        # Through a reverse proxy every visitor looks local: refused.
        status, _ = await scrape(world, **{"X-Forwarded-For": "203.0.113.9"})
        assert status == 403
    finally:
        await stop()
    world, stop = await start_world(fresh_db_url, metrics_token="s3cret-scrape-token")
    try:
        assert (await scrape(world))[0] == 401
        assert (await scrape(world, Authorization="Bearer wrong"))[0] == 401
        status, text = await scrape(world, Authorization="Bearer s3cret-scrape-token")
        assert status == 200 and "safecontact_database_up 1.0" in text
    finally:
        await stop()


# -- logs --------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Any:
    buf = io.StringIO()
    handler = logging_setup.handler_for("json", buf)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield buf
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


async def test_json_logs_carry_a_request_id_and_no_personal_data(
    fresh_db_url: str, json_log: io.StringIO
) -> None:
    world, stop = await start_world(fresh_db_url)
    try:
        world.fake.fail("chat.postMessage", status=500, times=2)  # something worth logging
        await report(world)
        await world.settle()
        # An unexpected error inside a request is logged with the request's id.
        logging.getLogger("bot").info("marker")
        async with world.http.get(
            f"{world.url}/healthz", headers={"X-Request-Id": "proxy-req-0001"}
        ) as resp:
            assert resp.headers["X-Request-Id"] == "proxy-req-0001"
        async with world.http.get(f"{world.url}/healthz") as resp:
            assert len(resp.headers["X-Request-Id"]) == 16
    finally:
        await stop()
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert lines, "something was logged"
    for entry in lines:
        assert {"time", "level", "logger", "message"} <= set(entry)
    text = json_log.getvalue()
    for private in PRIVATE:
        assert private not in text, private


def test_redaction_is_a_second_line_of_defence() -> None:
    line = logging_setup.redact("failed for sam.patel@example.org: <@U123> <!channel> ok")
    assert line == "failed for [email]: [markup] [markup] ok"
    record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "to %s", ("a@b.org",), None)
    record.request_id = "abc"
    entry = json.loads(logging_setup.JsonFormatter().format(record))
    assert entry == {
        "time": entry["time"],
        "level": "error",
        "logger": "bot",
        "message": "to [email]",
        "request_id": "abc",
    }
