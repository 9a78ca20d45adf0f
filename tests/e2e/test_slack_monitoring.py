"""Breaches (s7.1) and the contact log (s7.2) on Slack, through the real bolt app.

A breach must be dealt with swiftly: the people who look after the strategy are
alerted at once, a letter reminds the person of the reasons and the consequences, and
repeated breaches prompt a review. Every contact is still read for new information,
complaints, criminal matters and safeguarding issues, and the last two cannot wait.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cards.ids import ActionId
from storage.models import AuditEvent, Breach, ContactLog, Letter, Person
from tests.backends import both_backends
from tests.monitoring_support import (
    Clock,
    assert_everything_valid,
    buttons,
    case,
    clocked_slack,
    command_form,
    flat,
    letter_files_to,
    letters,
    open_form,
    posts,
    put_in_force,
    reference,
    refusal,
    report,
    text_of,
)
from tests.slack_harness import SlackWorld, start_world

ALERT = "Breach of the contact strategy"


@pytest.fixture
async def world(fresh_db_url: str) -> AsyncIterator[tuple[SlackWorld, Clock]]:
    async with clocked_slack(fresh_db_url) as made:
        yield made


def restriction_value(view: dict[str, Any], starts: str) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "breached_restriction")
    return next(
        o["value"] for o in block["element"]["options"] if o["text"]["text"].startswith(starts)
    )


def breach_answers(view: dict[str, Any], when: datetime, **overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "breach_about": "breach",
        "breached_restriction": restriction_value(view, "Phone calls limited"),
        "breach_occurred_at": int(when.timestamp()),
        "breach_channel": "telephone",
        "breach_what_happened": "Rang the main line three times <!channel> & shouted.",
    }
    answers.update(overrides)
    return answers


async def record_breach(
    slack: SlackWorld, user: str, ref: str, when: datetime, **overrides: Any
) -> dict[str, Any]:
    view = await command_form(slack, user, "/breach", ref)
    assert view["callback_id"] == "breach"
    status, ack = await slack.submit(user, view, breach_answers(view, when, **overrides))
    assert status == 200
    return ack


async def count(slack: SlackWorld, model: Any) -> int:
    async with slack.db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_case_offers_monitoring_only_while_a_strategy_is_in_force(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    incident = await report(slack)
    ref = await reference(slack, incident.person_id)
    before = buttons(await case(slack, "U0JO", ref))
    assert ActionId.PROPOSE_FOR_PERSON in before
    # s7.2: a contact is logged for anyone with an open case, strategy or not.
    assert before[ActionId.LOG_CONTACT] == str(incident.person_id)
    assert not {ActionId.RECORD_BREACH, ActionId.START_REVIEW} & set(before)
    # Buttons are only a convenience: a forged click is refused with a message too.
    assert "no contact strategy in force" in await refusal(
        slack, "U0NIA", ActionId.RECORD_BREACH, incident.person_id
    )

    strategy = await put_in_force(slack)
    staff_view = buttons(await case(slack, "U0NIA", await reference(slack, strategy.person_id)))
    # Any member of staff records breaches, contacts and disputes; reviews are not theirs.
    assert staff_view[ActionId.RECORD_BREACH] == str(strategy.person_id)
    assert staff_view[ActionId.LOG_CONTACT] == str(strategy.person_id)
    assert staff_view[ActionId.RECORD_DISPUTE] == str(strategy.person_id)
    assert ActionId.START_REVIEW not in staff_view
    # Restrictions change through a review now, not a second strategy.
    manager_view = buttons(await case(slack, "U0ALEX", await reference(slack, strategy.person_id)))
    assert manager_view[ActionId.START_REVIEW] == str(strategy.id)
    assert ActionId.PROPOSE_FOR_PERSON not in manager_view


async def test_breach_alerts_the_right_people_at_once_and_prepares_the_letter(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    ref = await reference(slack, strategy.person_id)
    ack = await record_breach(slack, "U0NIA", ref, datetime.now(UTC))
    assert ack["response_action"] == "update", ack
    confirmation = text_of(ack["view"])
    assert "Breach recorded" in confirmation and "Jo Reed" in confirmation
    await slack.settle()

    # s7.1: the proposer (Jo), the single point of contact (Sam) and the authorisers
    # (Alex, Bea) hear of it at once; the recorder and bystanders do not get an alert.
    for user in ("U0JO", "U0SAM", "U0ALEX", "U0BEA"):
        alerts = posts(slack, user, ALERT)
        assert len(alerts) == 1, user
        body = text_of(alerts[0])
        assert "Phone calls limited to 10 minutes" in body
        assert "&lt;!channel&gt; &amp; shouted" in body  # no mention escapes into Slack
        assert "review may be needed" not in alerts[0]["text"]
        assert ActionId.START_REVIEW not in buttons(alerts[0])
    for user in ("U0NIA", "U0CASEY", "U0ADA"):
        assert posts(slack, user, ALERT) == []

    async with slack.db.read() as session:
        stored = (await session.execute(select(Breach))).scalar_one()
        audit = (
            await session.execute(select(AuditEvent).where(AuditEvent.action == "breach.recorded"))
        ).scalar_one()
    assert stored.strategy_id == strategy.id and stored.channel == "telephone"
    assert {r.id for r in strategy.restrictions if r.kind == "call_limit"} == {
        stored.restriction_id
    }
    assert audit.detail["recent"] == 1 and audit.detail["threshold_reached"] is False
    # The letter is kept with the case and handed to the recorder as a file.
    (letter,) = await letters(slack, "breach_reminder")
    assert letter.strategy_id == strategy.id and letter.send_by == "letter"
    files = await letter_files_to(slack, "U0NIA")
    assert [f.letter_id for f in files] == [letter.id]
    assert [u["channel_id"] for u in slack.fake.calls_to("files.completeUploadExternal")][
        -1
    ] == "D0NIA"


async def test_breach_letter_reminds_of_reasons_and_consequences(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    await record_breach(
        slack, "U0SAM", await reference(slack, strategy.person_id), datetime.now(UTC)
    )
    (letter,) = await letters(slack, "breach_reminder")
    for body in (letter.html, letter.text):
        text = flat(body)
        # What happened, against which restriction.
        assert "by telephone on" in text and "Phone calls limited to 10 minutes" in text
        # s7.1: "reminded about the reasons for the strategy being introduced".
        assert "why these arrangements were put in place" in text.lower()
        # What the person is told, never the internal reasons (issue 14).
        assert "Repeated abusive calls" not in text and "despite" not in text
        # s7.1: "a clear reminder ... about the consequences of breaching the strategy".
        assert "our staff do not have to engage in conversation with you" in text
        assert "could get in the way of us handling your matter" in text
        assert "which may include seeking legal advice" in text  # s7.2
        assert "refer it to the police or take legal action" in text  # s7
        # s7, s7.2: what the strategy never stops.
        assert "These arrangements only affect how you contact our office" in text
        assert "call 999 in an emergency, or 101" in text
        assert "You can still contact us about any other matter" in text
        assert "We will review these arrangements by" in text
        assert "write to our Chief Executive" in text  # s7.3
        assert "in another format" in text
    # Sam is the SPOC and recorded it: he gets the letter, not an alert about his own record.
    assert posts(slack, "U0SAM", ALERT) == []
    assert len(await letter_files_to(slack, "U0SAM")) == 1


@both_backends
async def test_breach_threshold_counts_only_the_window(world: tuple[SlackWorld, Clock]) -> None:
    """3 breaches within 30 days prompt a review (s7.1, s7.2); an older one does not count."""
    slack, clock = world
    clock.behind = timedelta(days=60)
    strategy = await put_in_force(slack, at=clock())
    clock.behind = timedelta(0)
    real = datetime.now(UTC)
    ref = await reference(slack, strategy.person_id)

    times = [real - timedelta(days=59), real - timedelta(days=20), real - timedelta(days=2)]
    for when in times:
        ack = await record_breach(slack, "U0NIA", ref, when)
        assert ack["response_action"] == "update", ack
        assert "may need review" not in text_of(ack["view"])
    await slack.settle()
    # Two in the window: alerts, but no threshold.
    for alert in posts(slack, "U0JO", ALERT):
        assert "may need review" not in text_of(alert)
        assert ActionId.START_REVIEW not in buttons(alert)

    ack = await record_breach(slack, "U0NIA", ref, real - timedelta(hours=1))
    assert "breach 3 in 30 days" in text_of(ack["view"])
    await slack.settle()
    for user in ("U0JO", "U0SAM", "U0ALEX", "U0BEA"):
        latest = posts(slack, user, ALERT)[-1]
        body = text_of(latest)
        assert "review may be needed" in latest["text"]
        assert "3 breaches in 30 days" in body and "the threshold is 3" in body
        assert "may need review or further action" in body
        assert "a senior manager may need to seek legal advice (s7.2)" in body
        assert buttons(latest) == {ActionId.START_REVIEW: str(strategy.id)}
    # "Start review now" opens the review for an authoriser straight from the alert.
    view = await open_form(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
    assert view["callback_id"] == "review"
    assert "4 breaches, 3 in the last 30 days" in json.dumps(view)


async def test_threshold_is_configurable(fresh_db_url: str) -> None:
    slack, stop = await start_world(
        fresh_db_url, policy={"breach_threshold": 1, "breach_window_days": 7}
    )
    try:
        strategy = await put_in_force(slack)
        ack = await record_breach(
            slack, "U0NIA", await reference(slack, strategy.person_id), datetime.now(UTC)
        )
        assert "breach 1 in 7 days" in text_of(ack["view"])
        await slack.settle()
        assert ActionId.START_REVIEW in buttons(posts(slack, "U0JO", ALERT)[0])
    finally:
        await stop()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"breach_occurred_at": "future"}, "breach_occurred_at", "in the future"),
        ({"breach_occurred_at": "before"}, "breach_occurred_at", "came into force"),
        ({"breach_what_happened": None}, "breach_what_happened", "Please answer"),
        ({"breached_restriction": "999999"}, "breached_restriction", "Choose one of the options"),
        ({"breach_channel": "carrier_pigeon"}, "breach_channel", "Choose one of the options"),
        ({"breach_what_happened": "x" * 1501}, "breach_what_happened", "1500 characters"),
    ],
)
async def test_breach_bad_input_changes_nothing(
    world: tuple[SlackWorld, Clock], change: dict[str, Any], field: str, message: str
) -> None:
    slack, clock = world
    clock.behind = timedelta(days=3)
    strategy = await put_in_force(slack, at=clock())
    clock.behind = timedelta(0)
    real = datetime.now(UTC)
    view = await command_form(slack, "U0NIA", "/breach", await reference(slack, strategy.person_id))
    when = {"future": real + timedelta(hours=2), "before": real - timedelta(days=4)}
    key, value = next(iter(change.items()))
    answers = breach_answers(view, real)
    answers[key] = int(when[value].timestamp()) if value in when else value
    _, ack = await slack.submit("U0NIA", view, answers)
    assert ack["response_action"] == "errors", ack
    assert message in ack["errors"][field]
    assert await count(slack, Breach) == 0
    assert await count(slack, Letter) == 1  # only the strategy letter


async def test_breach_forged_or_stale_details_are_refused(world: tuple[SlackWorld, Clock]) -> None:
    slack, _ = world
    first = await put_in_force(slack)
    ref = await reference(slack, first.person_id)
    view = await command_form(slack, "U0NIA", "/breach", ref)
    # A restriction of another person's strategy is not among this form's choices.
    other = await put_in_force(slack, restrictions=["call_limit"])
    other_restriction = str(other.restrictions[0].id)
    _, ack = await slack.submit(
        "U0NIA",
        view,
        breach_answers(view, datetime.now(UTC), breached_restriction=other_restriction),
    )
    assert "Choose one of the options" in ack["errors"]["breached_restriction"]
    # Hidden details naming a strategy that is not in force, or not a number.
    for meta in ({"strategy_id": first.id + 1000}, {"strategy_id": "1"}, {}):
        forged = {**view, "private_metadata": json.dumps(meta)}
        _, ack = await slack.submit("U0NIA", forged, breach_answers(view, datetime.now(UTC)))
        assert ack["response_action"] == "update"
        assert "could not be found" in text_of(ack["view"])
    forged = {**view, "private_metadata": "not json"}
    _, ack = await slack.submit("U0NIA", forged, breach_answers(view, datetime.now(UTC)))
    assert "hidden details are malformed" in text_of(ack["view"])
    # Forged person ids on the button, and people with no strategy.
    assert "could not be found" in await refusal(slack, "U0NIA", ActionId.RECORD_BREACH, 999999)
    assert "malformed" in await refusal(slack, "U0NIA", ActionId.RECORD_BREACH, "1; DROP")
    incident = await report(slack, new_person_name="Robin Unrestricted")
    for text, expected in (
        (await reference(slack, incident.person_id), "has no contact strategy in force"),
        ("", "Tell me who it is about"),
        ("SC-1999-99999", "No one on file matches"),
        (ref, "staff directory"),  # sent by someone not in the directory, below
    ):
        replies = len(slack.fake.responses)
        user = "U0STRANGER" if expected == "staff directory" else "U0NIA"
        await slack.command(user, "/breach", text)
        reply = await slack.eventually(lambda n=replies: slack.fake.responses[n:], what="reply")
        assert expected in reply[0]["text"]
    assert await count(slack, Breach) == 0


async def log_contact(
    slack: SlackWorld, user: str, person_id: int, **answers: Any
) -> dict[str, Any]:
    view = await open_form(slack, user, ActionId.LOG_CONTACT, person_id)
    assert view["callback_id"] == "contact_log"
    values = {
        "contact_occurred_at": int(datetime.now(UTC).timestamp()) - 600,
        "contact_channel": "email",
        "contact_summary": "Asked for an update on the complaint.",
        "new_information": "no",
        "new_complaint": "no",
        "criminal": "no",
        "safeguarding": "no",
        "information_request": "no",
        "read_no_action": "no",
        **answers,
    }
    status, ack = await slack.submit(user, view, values)
    assert status == 200
    return ack


@both_backends
async def test_contact_log_flags_alert_the_manager_at_once(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    sent_before = len(slack.fake.posts_to("U0JO"))
    # Nothing urgent: logged, nobody alerted.
    ack = await log_contact(slack, "U0SAM", strategy.person_id, new_information="yes")
    assert ack["response_action"] == "update"
    assert "tell whoever proposed it" in text_of(ack["view"])
    await slack.settle()
    assert len(slack.fake.posts_to("U0JO")) == sent_before
    # s7.2: a new matter reaches the manager and the proposer at once (Jo is both: once).
    ack = await log_contact(slack, "U0SAM", strategy.person_id, new_complaint="yes")
    assert "Deal with the new complaint as normal" in text_of(ack["view"])
    assert "told Jo Reed at once" in text_of(ack["view"])
    await slack.settle()
    (alert,) = posts(slack, "U0JO", "raised a new matter")
    assert "You are told as their manager" in text_of(alert)
    # s9: a request for information goes to whoever handles them (the administrators,
    # with policy.information_requests_to unset), whoever the recorder's manager is.
    ack = await log_contact(slack, "U0SAM", strategy.person_id, information_request="yes")
    assert "told Ada Admin at once" in text_of(ack["view"])
    await slack.settle()
    (alert,) = posts(slack, "U0ADA", "raised a request for information (s9)")
    assert "You are told as someone who handles these requests" in text_of(alert)
    assert posts(slack, "U0JO", "request for information") == []

    # s7.2: a safeguarding issue goes to Sam's manager (Jo) straight away.
    ack = await log_contact(
        slack,
        "U0SAM",
        strategy.person_id,
        contact_channel="telephone",
        contact_summary="Said they had not eaten for days & felt <unsafe>.",
        safeguarding="yes",
    )
    assert "told Jo Reed at once" in text_of(ack["view"])
    await slack.settle()
    (alert,) = posts(slack, "U0JO", "raised a safeguarding issue")
    assert "felt &lt;unsafe&gt;" in text_of(alert)
    assert "You are told as their manager" in text_of(alert)
    # A criminal matter from someone with no manager on file goes to the authorisers.
    await log_contact(slack, "U0NIA", strategy.person_id, criminal="yes")
    await slack.settle()
    for user in ("U0ALEX", "U0BEA"):
        (alert,) = posts(slack, user, "raised a criminal matter")
        assert "no manager on file" in text_of(alert)
    # s7.2: and the proposer of their strategy (Jo), whoever the recorder's manager is.
    (to_jo,) = posts(slack, "U0JO", "criminal")
    assert "You are told as the proposer of their strategy" in text_of(to_jo)

    async with slack.db.read() as session:
        rows = (await session.execute(select(ContactLog).order_by(ContactLog.id))).scalars().all()
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert [
        (r.new_information, r.new_complaint, r.information_request, r.safeguarding, r.criminal)
        for r in rows
    ] == [
        (True, False, False, False, False),
        (False, True, False, False, False),
        (False, False, True, False, False),
        (False, False, False, True, False),
        (False, False, False, False, True),
    ]
    assert all(r.strategy_id == strategy.id for r in rows)
    assert actions.count("contact.logged") == 5

    # /case shows the log, newest first, with its flags.
    shown = text_of(await case(slack, "U0NIA", await reference(slack, strategy.person_id)))
    assert "Contact log (s7.2)*: 5 logged" in shown
    assert shown.index("criminal matter") < shown.index("safeguarding issue")
    assert ":rotating_light: _safeguarding issue_" in shown
    assert "_new complaint_" in shown
    assert "felt &lt;unsafe&gt;" in shown


@both_backends
async def test_contact_about_another_matter_or_asking_for_information_is_not_a_breach(
    world: tuple[SlackWorld, Clock],
) -> None:
    """s7.2 and s9: through a restricted channel, a new matter or a request for
    information is logged and passed on as what it is, never counted as a breach."""
    slack, _ = world
    strategy = await put_in_force(slack)
    ref = await reference(slack, strategy.person_id)
    ack = await record_breach(
        slack,
        "U0NIA",
        ref,
        datetime.now(UTC),
        breach_about="information_request",
        breached_restriction=None,
        breach_what_happened="Rang to ask for a copy of everything we hold about them.",
    )
    assert ack["response_action"] == "update", ack
    said = text_of(ack["view"])
    assert "Not recorded as a breach." in said and "told Ada Admin at once" in said
    await slack.settle()
    (alert,) = posts(slack, "U0ADA", "raised a request for information (s9)")
    assert "a copy of everything we hold" in text_of(alert)
    ack = await record_breach(
        slack, "U0NIA", ref, datetime.now(UTC), breach_about="other_matter",
        breached_restriction=None,
    )  # fmt: skip
    assert "Deal with the new complaint as normal" in text_of(ack["view"])
    # A breach still names the restriction it broke.
    ack = await record_breach(slack, "U0NIA", ref, datetime.now(UTC), breached_restriction=None)
    assert ack["errors"] == {"breached_restriction": "Choose which restriction was breached."}
    assert await count(slack, Breach) == 0
    async with slack.db.read() as session:
        rows = (await session.execute(select(ContactLog).order_by(ContactLog.id))).scalars().all()
        reminders = (
            await session.execute(select(Letter).where(Letter.kind == "breach_reminder"))
        ).all()
    assert [(r.information_request, r.new_complaint, r.strategy_id) for r in rows] == [
        (True, False, strategy.id),
        (False, True, strategy.id),
    ]
    assert reminders == []


async def test_correspondence_after_a_written_warning_is_read_and_filed(
    world: tuple[SlackWorld, Clock],
) -> None:
    """s6, written communication: after a written warning that reached them, their
    correspondence is read but no action is taken, subject to legislative requirements."""
    from tests.e2e.test_slack_actions import written_warning
    from tests.notice_support import record_letter_sent

    slack, _ = world
    incident = await report(slack)
    # Before any written warning has reached them, nothing is filed with no action.
    ack = await log_contact(slack, "U0SAM", incident.person_id, read_no_action="yes")
    assert "No written warning to them is on file as sent" in ack["errors"]["read_no_action"]
    warning, letter = await written_warning(slack, incident)
    ack = await log_contact(slack, "U0SAM", incident.person_id, read_no_action="yes")
    assert "No written warning to them is on file as sent" in ack["errors"]["read_no_action"]
    await record_letter_sent(slack, "U0JO", letter.id)
    # A new complaint is another matter, never filed so.
    ack = await log_contact(
        slack, "U0SAM", incident.person_id, read_no_action="yes", new_complaint="yes"
    )
    assert "A new complaint is another matter" in ack["errors"]["read_no_action"]
    ack = await log_contact(slack, "U0SAM", incident.person_id, read_no_action="yes")
    assert ack["response_action"] == "update", ack
    assert "Read and filed with no action (s6)" in text_of(ack["view"])
    async with slack.db.read() as session:
        (row,) = (await session.execute(select(ContactLog))).scalars().all()
    assert row.read_no_action_warning_id == warning.id
    shown = text_of(await case(slack, "U0NIA", await reference(slack, incident.person_id)))
    assert "read, no action (s6)" in shown


async def test_a_new_matter_stays_open_until_it_is_dealt_with(
    world: tuple[SlackWorld, Clock],
) -> None:
    """s7.2: "any new issues ... will be dealt with in the normal way": a new matter is its
    own item on the case, never a breach, open until someone records how."""
    from storage.models import Matter

    slack, _ = world
    incident = await report(slack)
    ack = await log_contact(
        slack,
        "U0SAM",
        incident.person_id,
        new_complaint="yes",
        contact_summary="A new complaint: the bins <were> not collected.",
    )
    assert "stays open on /case until you record how" in text_of(ack["view"])
    ref = await reference(slack, incident.person_id)
    view = await case(slack, "U0NIA", ref)
    shown = text_of(view)
    assert "*Open matter (s7.2)*, raised" in shown and "bins &lt;were&gt; not" in shown
    async with slack.db.read() as session:
        (matter,) = (await session.execute(select(Matter))).scalars().all()
    assert buttons(view)[ActionId.CLOSE_MATTER] == str(matter.id)
    form = await open_form(slack, "U0NIA", ActionId.CLOSE_MATTER, matter.id)
    _, ack = await slack.submit("U0NIA", form, {"matter_how": "dealt_with", "matter_outcome": None})
    assert "Please answer" in ack["errors"]["matter_outcome"]
    _, ack = await slack.submit(
        "U0NIA",
        form,
        {
            "matter_how": "dealt_with",
            "matter_outcome": "Passed to the complaints team; answered in 10 days.",
        },
    )
    assert ack["response_action"] == "update", ack
    assert "*Open matter" not in text_of(await case(slack, "U0NIA", ref))
    # A second close is told it is done; nothing was counted as a breach.
    assert "already closed" in await refusal(slack, "U0NIA", ActionId.CLOSE_MATTER, matter.id)
    assert await count(slack, Breach) == 0
    async with slack.db.read() as session:
        closed = await session.get(Matter, matter.id)
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert closed is not None and closed.outcome.startswith("Passed to the complaints team")
    assert actions.count("matter.opened") == 1 and actions.count("matter.closed") == 1


async def test_a_contact_is_logged_for_someone_without_a_strategy(
    world: tuple[SlackWorld, Clock],
) -> None:
    """s7.2: every contact is read, strategy or not; a criminal matter still goes to the
    manager at once."""
    slack, _ = world
    incident = await report(slack)
    ack = await log_contact(slack, "U0SAM", incident.person_id, criminal="yes")
    assert ack["response_action"] == "update", ack
    assert "told Jo Reed at once" in text_of(ack["view"])
    await slack.settle()
    assert posts(slack, "U0JO", "raised a criminal matter")
    async with slack.db.read() as session:
        (row,) = (await session.execute(select(ContactLog))).scalars().all()
    assert row.strategy_id is None and row.criminal


async def test_contact_log_bad_input(world: tuple[SlackWorld, Clock]) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    ack = await log_contact(
        slack,
        "U0SAM",
        strategy.person_id,
        contact_occurred_at=int(datetime.now(UTC).timestamp()) + 7200,
        criminal=None,
        safeguarding="maybe",
    )
    assert ack["response_action"] == "errors"
    assert "in the future" in ack["errors"]["contact_occurred_at"]
    assert "Please answer" in ack["errors"]["criminal"]
    assert "Choose one of the options" in ack["errors"]["safeguarding"]
    # A forged person in the hidden details: someone with no strategy, or nobody.
    view = await open_form(slack, "U0SAM", ActionId.LOG_CONTACT, strategy.person_id)
    async with slack.db.read() as session:
        people = (await session.execute(select(Person.id))).scalars().all()
    for person_id in (max(people) + 1, "x"):
        forged = {**view, "private_metadata": json.dumps({"person_id": person_id})}
        _, ack = await slack.submit(
            "U0SAM",
            forged,
            {
                "contact_occurred_at": int(datetime.now(UTC).timestamp()),
                "contact_channel": "email",
                "contact_summary": "x",
                **dict.fromkeys(("new_information", "new_complaint", "criminal"), "no"),
                "safeguarding": "no",
                "information_request": "no",
                "read_no_action": "no",
            },
        )
        assert "could not be found" in text_of(ack["view"])
    assert await count(slack, ContactLog) == 0
    assert "could not be found" in await refusal(slack, "U0SAM", ActionId.LOG_CONTACT, 424242)


async def test_alerts_are_not_held_for_office_hours(fresh_db_url: str) -> None:
    """Breaches and criminal or safeguarding flags are urgent: they go even when the
    office is closed (reminders wait for office hours; these never do)."""
    from dialogs.office import WEEKDAYS

    closed_today = WEEKDAYS[(datetime.now(UTC).weekday() + 3) % 7]
    slack, stop = await start_world(fresh_db_url, policy={"working_days": [closed_today]})
    try:
        strategy = await put_in_force(slack)
        await record_breach(
            slack, "U0NIA", await reference(slack, strategy.person_id), datetime.now(UTC)
        )
        await log_contact(slack, "U0SAM", strategy.person_id, criminal="yes")
        await slack.settle()
        assert posts(slack, "U0JO", ALERT) and posts(slack, "U0JO", "raised a criminal matter")
        assert_everything_valid(slack)
    finally:
        await stop()


async def test_a_matter_the_office_does_not_handle_is_signposted_by_letter(
    fresh_db_url: str,
) -> None:
    """s1: "In cases where the PCC is unable to deal with a matter the OPCC will notify the
    member of the public and will provide signposting information"."""
    from dialogs.office import Organisation, OtherBody
    from storage.models import Matter
    from tests.slack_harness import start_world

    psd = OtherBody(
        name="Warwickshire Police Professional Standards Department",
        handles="complaints about police officers and staff",
        contact="Write to PSD, PO Box 4, Leek Wootton, CV35 7QA, or call 101.",
    )
    slack, stop = await start_world(fresh_db_url, organisation=Organisation(other_bodies=[psd]))
    try:
        incident = await report(slack)
        await log_contact(
            slack,
            "U0SAM",
            incident.person_id,
            new_complaint="yes",
            contact_summary="Wants to complain about how an officer spoke to them.",
        )
        async with slack.db.read() as session:
            (matter,) = (await session.execute(select(Matter))).scalars().all()
        form = await open_form(slack, "U0SAM", ActionId.CLOSE_MATTER, matter.id)
        # Not ours: which body, and what the letter says it was about, are both needed.
        _, ack = await slack.submit(
            "U0SAM", form, {"matter_how": "not_ours", "matter_outcome": "Signposted to PSD."}
        )
        assert set(ack["errors"]) == {"matter_body", "matter_letter_says"}
        block = next(b for b in form["blocks"] if b.get("block_id") == "matter_body")
        _, ack = await slack.submit(
            "U0SAM",
            form,
            {
                "matter_how": "not_ours",
                "matter_body": block["element"]["options"][0]["value"],
                "matter_letter_says": "your complaint about how a police officer spoke to you",
                "matter_outcome": "Signposted to PSD; nothing for us to do.",
            },
        )
        assert ack["response_action"] == "update", ack
        assert "pointing them to Warwickshire Police Professional Standards" in text_of(ack["view"])
        await slack.settle()
        async with slack.db.read() as session:
            closed = await session.get(Matter, matter.id)
            letter = (
                await session.execute(select(Letter).where(Letter.kind == "signpost"))
            ).scalar_one()
        assert closed is not None and closed.signposted_to == psd.name
        for said in (
            "Thank you for contacting us about your complaint about how a police officer",
            "Complaints about police officers and staff are dealt with by Warwickshire Police",
            "Write to PSD, PO Box 4, Leek Wootton, CV35 7QA, or call 101.",
            "we have not passed your matter on",
        ):
            assert said in " ".join(letter.text.split()), said
        assert slack.fake.calls_to("files.completeUploadExternal")  # the letter, to send
    finally:
        await stop()


async def test_a_report_whose_matter_is_not_ours_is_signposted_from_its_card(
    fresh_db_url: str,
) -> None:
    """s1, for a report: the manager's card offers "Not ours to handle" where there is
    somewhere to point them; the letter says who can help, and the card says it was done."""
    from dialogs.office import Organisation, OtherBody
    from storage.models import Matter
    from tests.slack_harness import start_world

    psd = OtherBody(
        name="Warwickshire Police Professional Standards Department",
        handles="complaints about police officers and staff",
        contact="Write to PSD, PO Box 4, Leek Wootton, CV35 7QA, or call 101.",
    )
    slack, stop = await start_world(fresh_db_url, organisation=Organisation(other_bodies=[psd]))
    try:
        incident = await report(slack)
        card = next(p for p in slack.fake.posts_to("U0JO") if "Incident report" in p["text"])
        assert buttons(card)[ActionId.NOT_OURS] == str(incident.id)
        said = await refusal(slack, "U0NIA", ActionId.NOT_OURS, incident.id)
        assert "Only the reporter's manager or an authoriser" in said
        form = await open_form(slack, "U0JO", ActionId.NOT_OURS, incident.id)
        block = next(b for b in form["blocks"] if b.get("block_id") == "matter_body")
        _, ack = await slack.submit(
            "U0JO",
            form,
            {
                "matter_body": block["element"]["options"][0]["value"],
                "matter_letter_says": "your complaint about a police officer's conduct",
                "matter_outcome": "The conduct of officers is for the force (s1).",
            },
        )
        assert ack["response_action"] == "update", ack
        await slack.settle()
        async with slack.db.read() as session:
            (matter,) = (await session.execute(select(Matter))).scalars().all()
            letter = (
                await session.execute(select(Letter).where(Letter.kind == "signpost"))
            ).scalar_one()
        assert matter.incident_id == incident.id and matter.closed_at is not None
        assert "about your complaint about a police officer's conduct" in " ".join(
            letter.text.split()
        )
        update = slack.fake.calls_to("chat.update")[-1]
        assert "Not ours to handle (s1): signposted to Warwickshire Police" in text_of(update)
    finally:
        await stop()
