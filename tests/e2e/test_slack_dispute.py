"""Disputes of a decision to restrict contact, considered independently (s7.3).

The Chief Executive considers them, unless they took part in the decision: then
someone independent is asked, only that person may decide, the first decision wins,
and the person is told in writing that the arrangements still apply or that a
different course of action has been determined.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import StaffEntry
from cards.ids import ActionId
from storage.models import AuditEvent, ContactStrategy, Dispute
from tests.backends import both_backends
from tests.e2e.test_slack_incident import assert_valid_view
from tests.e2e.test_slack_review import review, stored
from tests.monitoring_support import (
    Clock,
    buttons,
    clocked_slack,
    flat,
    letter_files_to,
    letters,
    open_form,
    posts,
    put_in_force,
    reference,
    refusal,
    resync,
    text_of,
)
from tests.slack_harness import DIRECTORY, SlackWorld

CARD = "Dispute of the contact strategy"
GROUNDS = "I was never abusive <honest> & I need to phone about my benefits."


@pytest.fixture
async def world(fresh_db_url: str) -> AsyncIterator[tuple[SlackWorld, Clock]]:
    async with clocked_slack(fresh_db_url) as made:
        yield made


def days_ago(days: int) -> str:
    return (date.today() - timedelta(days=days)).isoformat()


async def record(
    slack: SlackWorld, person_id: int, user: str = "U0NIA", **overrides: Any
) -> dict[str, Any]:
    view = await open_form(slack, user, ActionId.RECORD_DISPUTE, person_id)
    assert view["callback_id"] == "dispute"
    answers = {"dispute_received_on": days_ago(0), "dispute_grounds": GROUNDS, **overrides}
    _, ack = await slack.submit(user, view, answers)
    return ack


async def the_dispute(slack: SlackWorld) -> Dispute:
    async with slack.db.read() as session:
        return (await session.execute(select(Dispute))).scalar_one()


async def in_force_and_disputed(slack: SlackWorld) -> tuple[ContactStrategy, Dispute]:
    """A strategy proposed by Jo and authorised by Bea, disputed and recorded by Nia."""
    strategy = await put_in_force(slack)
    await record(slack, strategy.person_id)
    await slack.settle()
    return strategy, await the_dispute(slack)


async def decide(
    slack: SlackWorld, user: str, dispute_id: int, outcome: str | None, reasons: str | None
) -> dict[str, Any]:
    view = await open_form(slack, user, ActionId.DISPUTE_DECIDE, dispute_id)
    assert view["callback_id"] == "dispute_outcome"
    _, ack = await slack.submit(
        user,
        view,
        {
            "dispute_outcome": outcome,
            "dispute_outcome_reasons": reasons,
            "dispute_outcome_summary": "We have considered what you wrote.",
        },
    )
    return ack


async def test_the_chief_executive_considers_a_dispute(world: tuple[SlackWorld, Clock]) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    ack = await record(slack, strategy.person_id)
    assert ack["response_action"] == "update", ack
    assert "I'm asking Casey Chief to consider it" in text_of(ack["view"])
    await slack.settle()
    dispute = await the_dispute(slack)
    (card,) = posts(slack, "U0CASEY", CARD)
    body = text_of(card)
    assert "As Chief Executive, you consider disputes" in body
    assert "never abusive &lt;honest&gt; &amp; I need" in body
    assert "Phone calls limited to 10 minutes" in body and "Repeated abusive calls" in body
    assert "*Authorised by*\\nBea Khan" in body
    assert buttons(card) == {ActionId.DISPUTE_DECIDE: str(dispute.id)}
    for user in ("U0ALEX", "U0BEA", "U0JO"):
        assert posts(slack, user, CARD) == []
    # Only the person asked may decide, whatever the button says.
    for user in ("U0ALEX", "U0NIA", "U0JO"):
        text = await refusal(slack, user, ActionId.DISPUTE_DECIDE, dispute.id)
        assert "Only the person asked to consider this dispute" in text

    ack = await decide(slack, "U0CASEY", dispute.id, "upheld", "The calls were <abusive>.")
    assert ack["response_action"] == "update", ack
    await slack.settle()
    dispute = await the_dispute(slack)
    assert (dispute.outcome, dispute.decider_id is not None) == ("upheld", True)
    assert dispute.decided_at is not None
    # s7.3: "informed in writing that ... the restricted contact arrangements still apply".
    (letter,) = await letters(slack, "dispute_outcome")
    assert [f.letter_id for f in await letter_files_to(slack, "U0NIA")] == [letter.id]
    for body in (letter.html, letter.text):
        text = flat(body)
        assert "We have decided that the restricted contact arrangements still apply" in text
        assert "considered by someone who took no part in that decision" in text
        # The heading says who considered it (issue 14).
        assert "considered by our chief executive" in text.lower()
        assert "Phone calls limited to 10 minutes" in text
        assert "call 999 in an emergency, or 101" in text
        assert "Casey Chief" in text  # signed by whoever decided
    # The outcome's reasons are internal: never in the letter (issue 14).
    assert "The calls were" not in letter.html + letter.text
    # The card now shows the decision and no button; the recorder and proposer are told.
    update = slack.fake.calls_to("chat.update")[-1]
    assert update["channel"] == "D0CASEY" and "decided by Casey Chief" in text_of(update)
    assert ActionId.DISPUTE_DECIDE not in json.dumps(update["blocks"])
    for user in ("U0NIA", "U0JO"):
        (notice,) = posts(slack, user, "Dispute for")
        assert "still apply" in text_of(notice)
        assert ActionId.START_REVIEW not in buttons(notice)
    text = await refusal(slack, "U0CASEY", ActionId.DISPUTE_DECIDE, dispute.id)
    assert "Already decided by Casey Chief" in text
    async with slack.db.read() as session:
        actions = (await session.execute(select(AuditEvent.action))).scalars().all()
    assert "dispute.recorded" in actions and "dispute.decided" in actions


@both_backends
@pytest.mark.parametrize("second_ce", [True, False], ids=["second-ce", "authoriser"])
async def test_a_chief_executive_who_authorised_it_is_not_asked(
    world: tuple[SlackWorld, Clock], second_ce: bool
) -> None:
    slack, _ = world
    # Casey, nominated as an authoriser, approves the strategy herself.
    extra = (
        [
            StaffEntry(
                name="Dana Deputy",
                email="dana@example.org",
                roles=["chief_executive"],
                slack_user_id="U0DANA",
            )
        ]
        if second_ce
        else []
    )
    await resync(slack, {"casey@example.org": ["chief_executive", "authoriser"]}, extra)
    strategy = await put_in_force(slack, approver="U0CASEY")
    ack = await record(slack, strategy.person_id)
    decider, name = ("U0DANA", "Dana Deputy") if second_ce else ("U0ALEX", "Alex Morgan")
    assert f"I'm asking {name} to consider it" in text_of(ack["view"])
    await slack.settle()
    dispute = await the_dispute(slack)
    (card,) = posts(slack, decider, CARD)
    assert "The Chief Executive (Casey Chief) took part in the decision" in text_of(card)
    assert "*Authorised by*\\nCasey Chief" in text_of(card)
    assert "independently instead" in text_of(card)
    # Casey is told, not asked, and cannot decide even with a forged click or form.
    assert posts(slack, "U0CASEY", CARD) == []
    (notice,) = posts(slack, "U0CASEY", "is being considered")
    assert f"{name} has been asked to consider it independently" in text_of(notice)
    text = await refusal(slack, "U0CASEY", ActionId.DISPUTE_DECIDE, dispute.id)
    assert "Only the person asked" in text
    view = await open_form(slack, decider, ActionId.DISPUTE_DECIDE, dispute.id)
    answers = {
        "dispute_outcome": "upheld",
        "dispute_outcome_reasons": "Mine to decide.",
        "dispute_outcome_summary": "We have considered what you wrote.",
    }
    _, ack = await slack.submit("U0CASEY", view, answers)
    assert "Only the person asked" in text_of(ack["view"])
    assert (await the_dispute(slack)).outcome is None

    # The first decision wins, even when two arrive at once.
    different = {
        "dispute_outcome": "different",
        "dispute_outcome_reasons": "An advocate should make contact instead.",
        "dispute_outcome_summary": "We have considered what you wrote.",
    }
    results = await asyncio.gather(
        slack.submit(decider, view, different), slack.submit(decider, view, different)
    )
    texts = [text_of(ack["view"]) for _, ack in results]
    assert sum("Already decided by" in t for t in texts) == 1, texts
    await slack.settle()
    dispute = await the_dispute(slack)
    assert dispute.outcome == "different"
    (letter,) = await letters(slack, "dispute_outcome")
    text = flat(letter.text)
    assert "We have decided on a different course of action" in text
    assert "An advocate should make contact instead." not in text  # internal reasons
    assert "Until then, the current arrangements still apply" in text
    assert name in text  # signed by the independent decider
    # The proposer is offered the review that puts the new course into effect.
    (notice,) = posts(slack, "U0JO", "Dispute for")
    assert buttons(notice) == {ActionId.START_REVIEW: str(strategy.id)}
    # s7.3: the new course is taken at a review, due now (so its reminders, and their
    # escalation, follow); the authorisers are told too, and it cannot simply continue.
    zone = slack.runtime.settings.policy.zone
    assert dispute.decided_at is not None
    assert (await stored(slack, strategy.id)).review_date == dispute.decided_at.astimezone(
        zone
    ).date()
    (bea_notice,) = posts(slack, "U0BEA", "Dispute for")
    assert buttons(bea_notice) == {ActionId.START_REVIEW: str(strategy.id)}
    ack = await review(slack, "U0BEA", strategy.id, "continue")
    assert ack["response_action"] == "errors", ack
    assert "cannot simply continue: choose Alter or End" in ack["errors"]["review_outcome"]
    ack = await review(slack, "U0BEA", strategy.id, "end", new_review_date=None)
    assert ack["response_action"] == "update", ack
    assert (await stored(slack, strategy.id)).status == "ended"


@pytest.mark.parametrize(
    ("answers", "field", "message"),
    [
        ({"dispute_received_on": "tomorrow"}, "dispute_received_on", "in the future"),
        ({"dispute_received_on": "before"}, "dispute_received_on", "before the strategy"),
        ({"dispute_grounds": None}, "dispute_grounds", "Please answer"),
        ({"dispute_grounds": "  \n "}, "dispute_grounds", "Please answer"),
        ({"dispute_grounds": "x" * 3001}, "dispute_grounds", "3000 characters"),
    ],
)
async def test_recording_bad_input_changes_nothing(
    world: tuple[SlackWorld, Clock], answers: dict[str, Any], field: str, message: str
) -> None:
    slack, clock = world
    clock.behind = timedelta(days=5)
    strategy = await put_in_force(slack, at=clock())
    clock.behind = timedelta(0)
    dates = {"tomorrow": days_ago(-1), "before": days_ago(6)}
    answers = {k: dates.get(v, v) if isinstance(v, str) else v for k, v in answers.items()}
    ack = await record(slack, strategy.person_id, **answers)
    assert ack["response_action"] == "errors", ack
    assert message in ack["errors"][field]
    async with slack.db.read() as session:
        assert (await session.execute(select(Dispute))).first() is None
    await slack.settle()
    assert posts(slack, "U0CASEY", CARD) == []


async def test_outcome_bad_input_and_forged_ids(world: tuple[SlackWorld, Clock]) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    await record(slack, strategy.person_id)
    dispute = await the_dispute(slack)
    for outcome, reasons, field, message in (
        ("upheld", None, "dispute_outcome_reasons", "Please answer"),
        ("upheld", "   ", "dispute_outcome_reasons", "Please answer"),
        (None, "Because.", "dispute_outcome", "Please answer"),
        ("overturned", "Because.", "dispute_outcome", "Choose one of the options"),
    ):
        ack = await decide(slack, "U0CASEY", dispute.id, outcome, reasons)
        assert ack["response_action"] == "errors", ack
        assert message in ack["errors"][field]
    assert (await the_dispute(slack)).outcome is None
    # Forged ids: on the button, and in the form's hidden details.
    assert "could not be found" in await refusal(
        slack, "U0CASEY", ActionId.DISPUTE_DECIDE, dispute.id + 100
    )
    assert "could not be found" in await refusal(
        slack, "U0NIA", ActionId.RECORD_DISPUTE, strategy.person_id + 100
    )
    view = await open_form(slack, "U0CASEY", ActionId.DISPUTE_DECIDE, dispute.id)
    for meta in ({"dispute_id": dispute.id + 100}, {"dispute_id": str(dispute.id)}):
        forged = {**view, "private_metadata": json.dumps(meta)}
        _, ack = await slack.submit(
            "U0CASEY",
            forged,
            {
                "dispute_outcome": "upheld",
                "dispute_outcome_reasons": "X.",
                "dispute_outcome_summary": "We have considered what you wrote.",
            },
        )
        assert "could not be found" in text_of(ack["view"])
    assert (await the_dispute(slack)).outcome is None


async def test_arrangements_cannot_still_apply_once_the_strategy_has_ended(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(slack)
    await record(slack, strategy.person_id)
    dispute = await the_dispute(slack)
    view = await open_form(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
    await slack.submit(
        "U0ALEX",
        view,
        {
            "review_outcome": "end",
            "review_reasons": "Behaviour has changed.",
            "review_public_summary": "You can contact us in any way again.",
            "new_review_date": None,
        },
    )
    ack = await decide(slack, "U0CASEY", dispute.id, "upheld", "They still apply.")
    assert ack["response_action"] == "errors"
    assert "no longer in force" in ack["errors"]["dispute_outcome"]
    ack = await decide(slack, "U0CASEY", dispute.id, "different", "Ended on review.")
    assert ack["response_action"] == "update", ack
    (letter,) = await letters(slack, "dispute_outcome")
    assert "Until then, the current arrangements still apply" not in letter.text


async def home_of(slack: SlackWorld, user: str) -> dict[str, Any]:
    view = await slack.home(user)
    assert_valid_view(view)
    return view


async def test_the_decider_finds_the_dispute_on_their_home_and_decides_from_there(
    world: tuple[SlackWorld, Clock],
) -> None:
    """A card lost in a busy DM must not leave a dispute waiting (s7.3)."""
    slack, _ = world
    strategy, dispute = await in_force_and_disputed(slack)
    ref = await reference(slack, strategy.person_id)
    home = await home_of(slack, "U0CASEY")
    assert f"*{ref}* - a dispute of their contact strategy" in text_of(home)
    accessories = [b["accessory"] for b in home["blocks"] if "accessory" in b]
    assert [(a["action_id"], a["value"]) for a in accessories] == [
        (ActionId.DISPUTE_DECIDE, str(dispute.id))
    ]
    # Nobody else has it waiting for them.
    assert "a dispute of their contact strategy" not in text_of(await home_of(slack, "U0BEA"))

    # From the home there is no message to answer under: the form opens, or a notice does.
    opened = len(slack.fake.calls_to("views.open"))
    await slack.click("U0CASEY", ActionId.DISPUTE_DECIDE, str(dispute.id), container="view")
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[opened:], what="the outcome form"
    )
    assert view[0]["view"]["callback_id"] == "dispute_outcome"
    _, ack = await slack.submit(
        "U0CASEY",
        view[0]["view"],
        {
            "dispute_outcome": "upheld",
            "dispute_outcome_reasons": "The calls were abusive.",
            "dispute_outcome_summary": "We have considered what you wrote.",
        },
    )
    assert ack["response_action"] == "update", ack
    await slack.settle()
    assert "a dispute of their contact strategy" not in text_of(await home_of(slack, "U0CASEY"))
    opened = len(slack.fake.calls_to("views.open"))
    await slack.click("U0CASEY", ActionId.DISPUTE_DECIDE, str(dispute.id), container="view")
    notice = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[opened:], what="a notice"
    )
    assert "Already decided by Casey Chief" in text_of(notice[0]["view"])


async def test_a_dispute_whose_decider_left_goes_to_someone_independent(
    world: tuple[SlackWorld, Clock],
) -> None:
    """Only the person asked may decide (s7.3): when they leave, someone else is asked."""
    slack, _ = world
    strategy, dispute = await in_force_and_disputed(slack)
    assert posts(slack, "U0CASEY", CARD)

    await slack.restart_with([e for e in DIRECTORY if e.email != "casey@example.org"])
    moved = await the_dispute(slack)
    # Not Jo or Bea, who took part in the decision: Alex, the other authoriser.
    (card,) = posts(slack, "U0ALEX", CARD)
    assert buttons(card) == {ActionId.DISPUTE_DECIDE: str(dispute.id)}
    assert "took no part in the decision" in text_of(card)
    assert moved.decider_id != dispute.decider_id
    async with slack.db.read() as session:
        event = (
            await session.execute(
                select(AuditEvent).where(AuditEvent.action == "dispute.reassigned")
            )
        ).scalar_one()
    assert event.detail["from"] == dispute.decider_id and event.detail["to"] == moved.decider_id
    ack = await decide(slack, "U0ALEX", dispute.id, "upheld", "Still needed.")
    assert ack["response_action"] == "update", ack
    assert (await the_dispute(slack)).outcome == "upheld"

    # A second restart changes nothing more: decided disputes stay with who decided.
    await slack.restart_with([e for e in DIRECTORY if e.email != "casey@example.org"])
    assert len(posts(slack, "U0ALEX", CARD)) == 1


async def test_a_dispute_with_nobody_independent_left_is_logged_for_the_administrator(
    world: tuple[SlackWorld, Clock], caplog: pytest.LogCaptureFixture
) -> None:
    slack, _ = world
    strategy, dispute = await in_force_and_disputed(slack)
    # Casey keeps her job but loses the role; Alex is no longer an authoriser.
    roles = {"casey@example.org": ["staff"], "alex@example.org": ["manager"]}
    entries = [
        e.model_copy(update={"roles": roles[e.email]}) if e.email in roles else e for e in DIRECTORY
    ]
    with caplog.at_level("ERROR", logger="bot.server"):
        await slack.restart_with(entries)
    ref = await reference(slack, strategy.person_id)
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.server"]
    assert any(f"the dispute for {ref} has nobody to decide it" in m for m in logged), logged
    assert (await the_dispute(slack)).decider_id == dispute.decider_id
    for user in ("U0ALEX", "U0BEA", "U0JO"):
        assert posts(slack, user, CARD) == []


@both_backends  # the storage query behind "took part" (storage.strategies.decision_makers)
async def test_a_chief_executive_who_continued_it_at_a_review_is_not_asked(
    world: tuple[SlackWorld, Clock],
) -> None:
    """s7.3, issue 14: independent means no part in the proposal, the approval, or a review
    that continued or altered it; and the outcome letter's heading says who considered it."""
    slack, _ = world
    await resync(slack, {"casey@example.org": ["chief_executive", "authoriser"]}, [])
    strategy = await put_in_force(slack)  # proposed by Jo, approved by Bea
    ack = await review(slack, "U0CASEY", strategy.id, "continue")
    assert ack["response_action"] == "update", ack
    await slack.settle()
    ack = await record(slack, strategy.person_id)
    assert "I'm asking Alex Morgan to consider it" in text_of(ack["view"])
    await slack.settle()
    dispute = await the_dispute(slack)
    (card,) = posts(slack, "U0ALEX", CARD)
    assert "The Chief Executive (Casey Chief) took part in the decision" in text_of(card)
    assert posts(slack, "U0CASEY", CARD) == []
    # Until Alex decides, Alex stays out of the strategy's reviews, or the letter's "took
    # no part in any review of it" would stop being true.
    said = await refusal(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
    assert "You are considering a dispute about this strategy (s7.3)" in said
    await decide(slack, "U0ALEX", dispute.id, "upheld", "Internal: the calls were abusive.")
    await slack.settle()
    (letter,) = await letters(slack, "dispute_outcome")
    for body in (letter.html, letter.text):
        text = flat(body)
        assert "considered by alex morgan, senior manager" in text.lower()
        assert "Chief Executive" not in text.split("Thank you for your letter")[0]
        assert "the calls were abusive" not in text
