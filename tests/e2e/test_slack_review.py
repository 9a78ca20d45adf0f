"""Reviewing a strategy on Slack: continue, alter (authorised again) or end (s7, s7.1).

A strategy is fair only while it is still appropriate, so it is reviewed; whatever the
outcome, the person is told in writing. Continuing is itself a decision to restrict
contact (s7): an authoriser takes it, never whoever proposed the strategy.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cards.ids import ActionId
from storage.models import (
    AuditEvent,
    Authorisation,
    ContactStrategy,
    Letter,
    Review,
    ScheduledJob,
)
from tests.backends import both_backends
from tests.e2e.test_slack_incident import assert_valid_view
from tests.e2e.test_slack_strategy import CRITERIA, spoc_value
from tests.monitoring_support import (
    assert_everything_valid,
    buttons,
    case,
    flat,
    letter_files_to,
    letters,
    open_form,
    posts,
    put_in_force,
    reference,
    refusal,
    text_of,
    wait_for,
)
from tests.notice_support import record_letter_sent
from tests.slack_harness import SlackWorld, start_world


@pytest.fixture
async def slack(fresh_db_url: str) -> AsyncIterator[SlackWorld]:
    world, stop = await start_world(fresh_db_url)
    try:
        yield world
        assert_everything_valid(world)
    finally:
        await stop()


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def review_answers(outcome: str | None, **overrides: Any) -> dict[str, Any]:
    return {
        "review_outcome": outcome,
        "review_reasons": "Still calling daily <and> swearing at the SPOC & others.",
        "review_public_summary": "We have looked again at how you contact us (s7.1).",
        "new_review_date": in_days(120),
        **overrides,
    }


async def review(
    slack: SlackWorld, user: str, strategy_id: int, outcome: str | None, **overrides: Any
) -> dict[str, Any]:
    view = await open_form(slack, user, ActionId.START_REVIEW, strategy_id)
    assert view["callback_id"] == "review"
    status, ack = await slack.submit(user, view, review_answers(outcome, **overrides))
    assert status == 200
    return ack


async def stored(slack: SlackWorld, strategy_id: int) -> ContactStrategy:
    async with slack.db.read() as session:
        found = await session.get(ContactStrategy, strategy_id)
        assert found is not None
        return found


async def reviews(slack: SlackWorld) -> list[Review]:
    async with slack.db.read() as session:
        return list((await session.execute(select(Review).order_by(Review.id))).scalars())


async def test_continue_sets_a_new_date_fresh_reminders_and_writes(slack: SlackWorld) -> None:
    strategy = await put_in_force(slack)
    old_date = strategy.review_date
    ack = await review(slack, "U0ALEX", strategy.id, "continue")
    assert ack["response_action"] == "update", ack
    assert "continues" in text_of(ack["view"])
    await slack.settle()

    after = await stored(slack, strategy.id)
    assert after.status == "active" and after.review_date.isoformat() == in_days(120)
    (row,) = await reviews(slack)
    assert (row.outcome, row.new_review_date, row.strategy_id) == (
        "continued",
        after.review_date,
        strategy.id,
    )
    assert "<and>" in row.reasons
    # Fresh reminders for the new date; the old date's are left for the scheduler to skip.
    async with slack.db.read() as session:
        keys = (await session.execute(select(ScheduledJob.key))).scalars().all()
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    new = [k for k in keys if k.startswith(f"review-reminder:{strategy.id}:{in_days(120)}")]
    assert len(new) == 3
    assert f"review-overdue:{strategy.id}:{in_days(120)}" in keys
    assert any(k.startswith(f"review-reminder:{strategy.id}:{old_date.isoformat()}") for k in keys)
    assert "strategy.reviewed" in actions

    # s7.1 "told about any changes": the letter says it continues, why, and until when.
    (letter,) = await letters(slack, "strategy_continued")
    assert [f.letter_id for f in await letter_files_to(slack, "U0ALEX")] == [letter.id]
    for body in (letter.html, letter.text):
        text = flat(body)
        assert "We have decided that they will continue for now" in text
        assert f"again by {after.review_date:%d %B %Y}" in text
        assert "Phone calls limited to 10 minutes" in text
        assert "call 999 in an emergency, or 101" in text
        assert "You can still contact us about any other matter" in text
        assert "write to our Chief Executive" in text
    # The review's reasons are internal: the letter prints what the person is told.
    assert "swearing at the SPOC" not in letter.html + letter.text
    # Those who look after it hear of the outcome; the reviewer does not message themself.
    for user in ("U0JO", "U0SAM", "U0BEA"):
        (notice,) = posts(slack, user, "continues")
        assert "Alex Morgan" in text_of(notice)
    assert posts(slack, "U0ALEX", "continues") == []


async def test_end_lifts_the_restrictions_and_writes(slack: SlackWorld) -> None:
    strategy = await put_in_force(slack)
    # The proposer may end it: lifting restrictions needs no authorisation.
    ack = await review(slack, "U0JO", strategy.id, "end", new_review_date=None)
    assert ack["response_action"] == "update", ack
    assert "has ended" in text_of(ack["view"])
    await slack.settle()
    after = await stored(slack, strategy.id)
    assert after.status == "ended" and after.ended_at is not None
    assert [r.outcome for r in await reviews(slack)] == ["ended"]
    (letter,) = await letters(slack, "strategy_ended")
    for body in (letter.html, letter.text):
        text = flat(body)
        assert "we have decided to end them" in text
        assert "the following no longer apply" in text
        assert "Phone calls limited to 10 minutes" in text
        assert "You can contact us in the usual ways again" in text
        # Why, in the words written for them; never the reviewer's internal reasons.
        assert "We have looked again at how you contact us (s7.1)." in text
        assert "Still calling daily" not in text
    # Jo has the first strategy letter, as its proposer, and now this one.
    assert [f.letter_id for f in await letter_files_to(slack, "U0JO")][-1] == letter.id
    for user in ("U0SAM", "U0ALEX", "U0BEA"):
        assert posts(slack, user, "has ended"), user
    shown = await case(slack, "U0NIA", await reference(slack, strategy.person_id))
    assert "No restrictions on contact" in text_of(shown)
    assert ActionId.RECORD_BREACH not in buttons(shown)
    assert "no longer in force" in await refusal(
        slack, "U0ALEX", ActionId.START_REVIEW, strategy.id
    )


async def alteration_answers(view: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    incidents = next(b for b in view["blocks"] if b.get("block_id") == "incidents")
    values: dict[str, Any] = {
        "review_reasons": "Calls are shorter now; email is the problem.",
        "restrictions": ["single_method", "spoc"],
        "contact_method": "letter",
        "spoc": spoc_value(view, "Sam Patel"),
        "reasons": "Emails at night to several staff despite the strategy.",
        "warning_given": "no",
        "no_warning_reason": "An immediate risk to staff.",
        "shortcomings_addressed": "We now write every two weeks with an update.",
        "adjustments": "Large print letters.",
        "criteria": list(CRITERIA),
        "review_date": in_days(60),
        "letter_channel": "letter",
        "letter_format": "standard",
        "public_summary": "We are changing how you can contact us, for a while.",
        "incidents": [o["value"] for o in incidents["element"]["initial_options"]],
        **{f"criterion_{c}": f"Re-checked {c}." for c in CRITERIA},
    }
    values.update(overrides)
    return values


@both_backends
async def test_alter_goes_through_authorisation_again(slack: SlackWorld) -> None:
    strategy = await put_in_force(slack)
    ack = await review(slack, "U0ALEX", strategy.id, "alter", new_review_date=None)
    # "Alter" answers with the proposal form, prefilled from the strategy in force.
    assert ack["response_action"] == "update", ack
    form = ack["view"]
    assert_valid_view(form)
    assert form["callback_id"] == "strategy_alteration"
    blocks = {b.get("block_id"): b for b in form["blocks"]}
    assert "daily <and> swearing" in blocks["review_reasons"]["element"]["initial_value"]
    chosen = {o["value"] for o in blocks["restrictions"]["element"]["initial_options"]}
    assert chosen == {"single_method", "call_limit", "spoc"}
    assert blocks["call_minutes"]["element"]["initial_value"] == "10"
    assert json.loads(form["private_metadata"])["supersedes"] == strategy.id
    assert await reviews(slack) == []  # nothing is stored until the change is sent

    _, ack = await slack.submit("U0ALEX", form, await alteration_answers(form))
    assert ack["response_action"] == "update", ack
    assert "Bea Khan" in text_of(ack["view"]) and "stays in force" in text_of(ack["view"])
    await slack.settle()
    async with slack.db.read() as session:
        new = (
            await session.execute(
                select(ContactStrategy).where(ContactStrategy.supersedes_id == strategy.id)
            )
        ).scalar_one()
        auth = (
            await session.execute(select(Authorisation).where(Authorisation.strategy_id == new.id))
        ).scalar_one()
    assert new.status == "pending" and new.proposer_id != strategy.proposer_id
    assert sorted(r.kind for r in new.restrictions) == ["single_method", "spoc"]
    assert (auth.kind, auth.status) == ("change", "pending")
    (row,) = await reviews(slack)
    assert (row.outcome, row.new_strategy_id) == ("altered", new.id)
    assert (await stored(slack, strategy.id)).status == "active"  # until approved
    # Separation of duties (s7): Alex asked for the change, so only Bea is asked.
    assert card_for(slack, "U0ALEX", auth.id) == []
    assert len(card_for(slack, "U0BEA", auth.id)) == 1
    assert "another authoriser must decide" in await refusal(
        slack, "U0ALEX", ActionId.APPROVE, auth.id
    )
    # While the change waits, the strategy cannot be reviewed again.
    assert "waiting for authorisation" in await refusal(
        slack, "U0JO", ActionId.START_REVIEW, strategy.id
    )

    await slack.click("U0BEA", ActionId.APPROVE, str(auth.id))
    await wait_for(lambda: _status_is(slack, new.id, "approved"), what="the change approved")
    await slack.settle()
    # The change takes effect when its letter is sent (s7.1 "told about any changes"):
    # until then the old strategy stays in force.
    assert (await stored(slack, strategy.id)).status == "active"
    async with slack.db.read() as session:
        letter = (
            await session.execute(select(Letter).where(Letter.strategy_id == new.id))
        ).scalar_one()
    assert letter.kind == "strategy" and "Phone calls limited" not in letter.text
    await record_letter_sent(slack, "U0ALEX", letter.id)
    await wait_for(
        lambda: _status_is(slack, strategy.id, "altered"), what="the old strategy to end"
    )
    await slack.settle()
    old, new = await stored(slack, strategy.id), await stored(slack, new.id)
    assert (old.status, new.status) == ("altered", "active")
    assert old.ended_at is not None
    shown = text_of(await case(slack, "U0NIA", await reference(slack, strategy.person_id)))
    assert "Contact only by letter" in shown and "Phone calls limited" not in shown


def card_for(slack: SlackWorld, user: str, authorisation_id: int) -> list[dict[str, Any]]:
    key = json.dumps(f"authorisation:{authorisation_id}")
    return [p for p in slack.fake.posts_to(user) if key in json.dumps(p["blocks"])]


async def _status_is(slack: SlackWorld, strategy_id: int, status: str) -> bool:
    return (await stored(slack, strategy_id)).status == status


async def test_a_change_sent_back_and_resubmitted_still_replaces_the_old(
    slack: SlackWorld,
) -> None:
    strategy = await put_in_force(slack)
    ack = await review(slack, "U0ALEX", strategy.id, "alter", new_review_date=None)
    await slack.submit("U0ALEX", ack["view"], await alteration_answers(ack["view"]))
    async with slack.db.read() as session:
        auth = await session.execute(select(Authorisation).where(Authorisation.kind == "change"))
        auth = auth.scalar_one()
    view = await open_form(slack, "U0BEA", ActionId.ASK_CHANGES, auth.id)
    await slack.submit("U0BEA", view, {"decision_reason": "Keep the call limit."})
    form = await open_form(slack, "U0ALEX", ActionId.REVISE_STRATEGY, auth.strategy_id)
    answers = await alteration_answers(form)
    answers.pop("review_reasons")
    await slack.submit("U0ALEX", form, answers)
    async with slack.db.read() as session:
        again = (
            await session.execute(
                select(Authorisation)
                .where(Authorisation.status == "pending")
                .order_by(Authorisation.id.desc())
            )
        ).scalar()
    await slack.click("U0BEA", ActionId.APPROVE, str(again.id))
    await wait_for(lambda: _status_is(slack, again.strategy_id, "approved"), what="approval")
    await slack.settle()
    async with slack.db.read() as session:
        letter = (
            await session.execute(select(Letter).where(Letter.strategy_id == again.strategy_id))
        ).scalar_one()
    await record_letter_sent(slack, "U0ALEX", letter.id)
    await wait_for(lambda: _status_is(slack, again.strategy_id, "active"), what="in force")
    async with slack.db.read() as session:
        active = (
            await session.execute(
                select(func.count())
                .select_from(ContactStrategy)
                .where(ContactStrategy.status == "active")
            )
        ).scalar_one()
    assert active == 1


# Who may review: (user, may open the form, may continue), for a strategy Jo proposed.
WHO = [
    ("U0SAM", False, False),  # staff, and the single point of contact
    ("U0NIA", False, False),  # staff
    ("U0CASEY", False, False),  # chief executive: considers disputes, not reviews
    ("U0STRANGER", False, False),  # not in the directory
    ("U0JO", True, False),  # the proposer: may end or alter, not continue alone (s7)
    ("U0ALEX", True, True),  # authoriser
    ("U0BEA", True, True),  # authoriser who approved it
]


@pytest.mark.parametrize(("user", "may_open", "may_continue"), WHO)
async def test_who_may_review(
    slack: SlackWorld, user: str, may_open: bool, may_continue: bool
) -> None:
    strategy = await put_in_force(slack)
    if not may_open:
        text = await refusal(slack, user, ActionId.START_REVIEW, strategy.id)
        assert "Only the manager who proposed this strategy or an authoriser" in text or (
            "staff directory" in text
        )
        # Nor can they submit a review form someone else opened (a forged submission).
        view = await open_form(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
        _, ack = await slack.submit(user, view, review_answers("end"))
        assert ack["response_action"] == "update"
        assert "has ended" not in text_of(ack["view"])
        assert (await stored(slack, strategy.id)).status == "active"
        return
    ack = await review(slack, user, strategy.id, "continue")
    after = await stored(slack, strategy.id)
    if may_continue:
        assert ack["response_action"] == "update", ack
        assert after.review_date.isoformat() == in_days(120)
    else:
        assert ack["response_action"] == "errors"
        assert "not whoever proposed them (its own safeguard)" in ack["errors"]["review_outcome"]
        assert after.review_date == strategy.review_date and await reviews(slack) == []


async def test_an_authoriser_who_proposed_it_cannot_continue_it_alone(slack: SlackWorld) -> None:
    strategy = await put_in_force(slack, proposer="U0ALEX", approver="U0BEA")
    ack = await review(slack, "U0ALEX", strategy.id, "continue")
    assert ack["response_action"] == "errors"
    ack = await review(slack, "U0BEA", strategy.id, "continue")
    assert ack["response_action"] == "update", ack


@pytest.mark.parametrize(
    ("outcome", "overrides", "field", "message"),
    [
        ("continue", {"review_reasons": None}, "review_reasons", "Please answer"),
        ("end", {"review_reasons": "   "}, "review_reasons", "Please answer"),
        ("alter", {"review_reasons": None}, "review_reasons", "Please answer"),
        ("continue", {"new_review_date": None}, "new_review_date", "Give the next review date"),
        ("continue", {"new_review_date": in_days(0)}, "new_review_date", "in the future"),
        ("continue", {"new_review_date": in_days(-3)}, "new_review_date", "in the future"),
        ("continue", {"new_review_date": in_days(400)}, "new_review_date", "within 12 months"),
        ("continue", {"new_review_date": "31-12-2026"}, "new_review_date", "Enter a date"),
        (None, {}, "review_outcome", "Please answer"),
        ("suspend", {}, "review_outcome", "Choose one of the options"),
        ("end", {"review_reasons": "x" * 1501}, "review_reasons", "1500 characters"),
    ],
)
async def test_review_bad_input_changes_nothing(
    slack: SlackWorld, outcome: str | None, overrides: dict[str, Any], field: str, message: str
) -> None:
    strategy = await put_in_force(slack)
    ack = await review(slack, "U0ALEX", strategy.id, outcome, **overrides)
    assert ack["response_action"] == "errors", ack
    assert message in ack["errors"][field]
    after = await stored(slack, strategy.id)
    assert (after.status, after.review_date) == ("active", strategy.review_date)
    assert await reviews(slack) == []
    assert await letters(slack, "strategy_continued") == []


async def test_forged_review_details(slack: SlackWorld) -> None:
    strategy = await put_in_force(slack)
    view = await open_form(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
    for meta, expected in (
        ({"strategy_id": strategy.id + 999, "review_date": in_days(90)}, "could not be found"),
        ({"strategy_id": str(strategy.id)}, "could not be found"),
        ({"strategy_id": strategy.id, "review_date": "2001-01-01"}, "changed since"),
    ):
        forged = {**view, "private_metadata": json.dumps(meta)}
        _, ack = await slack.submit("U0ALEX", forged, review_answers("end"))
        assert ack["response_action"] == "update"
        assert expected in text_of(ack["view"])
    # The alteration form must name the strategy under review and its person.
    ack = await review(slack, "U0ALEX", strategy.id, "alter")
    form = ack["view"]
    meta = json.loads(form["private_metadata"])
    forged = {**form, "private_metadata": json.dumps({**meta, "person_id": meta["person_id"] + 1})}
    _, ack = await slack.submit("U0ALEX", forged, await alteration_answers(form))
    assert "do not match" in text_of(ack["view"])
    # A forged incident id is refused by the proposal form's own rules.
    _, ack = await slack.submit(
        "U0ALEX", form, await alteration_answers(form, incidents=["424242"])
    )
    assert "Choose" in ack["errors"]["incidents"]
    assert (await stored(slack, strategy.id)).status == "active"
    assert await reviews(slack) == []
    assert "could not be found" in await refusal(slack, "U0ALEX", ActionId.START_REVIEW, 424242)


@both_backends
async def test_the_first_review_wins(slack: SlackWorld) -> None:
    strategy = await put_in_force(slack)
    first = await open_form(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
    second = await open_form(slack, "U0BEA", ActionId.START_REVIEW, strategy.id)
    results = await asyncio.gather(
        slack.submit("U0ALEX", first, review_answers("end", new_review_date=None)),
        slack.submit("U0BEA", second, review_answers("continue")),
    )
    texts = [text_of(ack["view"]) for _, ack in results]
    assert sum("Already reviewed by" in t for t in texts) == 1, texts
    assert len(await reviews(slack)) == 1
    # A late third review of the same form is told who reviewed it and how.
    _, ack = await slack.submit("U0ALEX", first, review_answers("end", new_review_date=None))
    assert "Already reviewed by" in text_of(ack["view"])
    assert len(await reviews(slack)) == 1
