"""Monitoring a strategy on Teams: breaches, the contact log, reviews, disputes (s7.1-s7.3).

The Teams twin of test_slack_monitoring.py, test_slack_review.py and
test_slack_dispute.py where it matters: the same dialogs/ rules through Teams cards,
with the server's clock set back when a strategy must have been in force for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from cards.ids import ActionId, FormName
from storage.models import (
    Authorisation,
    Breach,
    ContactLog,
    ContactStrategy,
    Dispute,
    Letter,
    Review,
)
from tests.e2e.test_teams_strategy import (
    CRITERIA,
    approval_cards,
    approve,
    choice,
    error_under,
    everyone_opens,
    incident_card,
    propose,
    put_in_force,
    record_letter_sent,
    reference_of,
    value_of,
)
from tests.monitoring_support import Clock
from tests.teams_harness import (
    ALEX,
    BEA,
    CARD,
    CASEY,
    DIRECTORY,
    JO,
    MESSAGE,
    NIA,
    SAM,
    STRANGER,
    TeamsWorld,
    buttons,
    conversation,
    inputs,
    start_teams,
    visible,
)

ALERT = "Breach of the contact strategy"


@pytest.fixture
async def world(fresh_db_url: str) -> AsyncIterator[tuple[TeamsWorld, Clock]]:
    clock = Clock()
    teams, stop = await start_teams(fresh_db_url, clock=clock)
    try:
        await everyone_opens(teams)
        yield teams, clock
        teams.assert_all_cards_valid()
    finally:
        await stop()


async def count(teams: TeamsWorld, model: Any) -> int:
    async with teams.db.read() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def stored(teams: TeamsWorld, strategy_id: int) -> ContactStrategy:
    async with teams.db.read() as session:
        found = await session.get(ContactStrategy, strategy_id)
        assert found is not None
        return found


async def in_force_days_ago(teams: TeamsWorld, clock: Clock, days: int) -> ContactStrategy:
    clock.behind = timedelta(days=days)
    strategy = await put_in_force(teams, at=clock())
    clock.behind = timedelta(0)
    return strategy


async def case_card(teams: TeamsWorld, user: str, strategy: ContactStrategy) -> dict[str, Any]:
    return await teams.say(user, f"case {await reference_of(teams, strategy.person_id)}")


def in_days(days: int) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def answer_of(result: tuple[int, Any]) -> dict[str, Any]:
    """The card a form's submission was answered with."""
    status, answer = result
    assert status == 200 and answer["type"] == CARD, answer
    return answer["value"]


# -- what /case offers ------------------------------------------------------------------


async def test_case_offers_monitoring_only_while_a_strategy_is_in_force(
    world: tuple[TeamsWorld, Clock],
) -> None:
    teams, _ = world
    await incident_card(teams)
    before = await teams.say(JO, f"case {await reference_of(teams)}")
    # s7.2: a contact is logged for anyone with an open case, strategy or not.
    assert [b["title"] for b in buttons(before)] == [
        "Record needs",  # s5: in the card, beside their needs
        "Single point of contact",  # s6: an informal step a manager may take
        "Propose contact strategy",
        "Log contact",
        "Request to share with a partner agency",
    ]
    # Buttons are only a convenience: a forged click is refused with a message too.
    person_id = buttons(before)[2]["data"]["person_id"]
    for verb in (ActionId.RECORD_BREACH, ActionId.RECORD_DISPUTE):
        text = await teams.refused(NIA, verb, {"person_id": person_id})
        assert "has no contact strategy in force" in text
    staff_before = await teams.say(NIA, f"case {await reference_of(teams)}")
    assert [b["title"] for b in buttons(staff_before)] == [
        "Record needs",
        "Log contact",
        "Request to share with a partner agency",
    ]

    strategy = await put_in_force(teams)
    staff_view = {b["title"]: b for b in buttons(await case_card(teams, NIA, strategy))}
    assert staff_view["Record breach"]["data"] == {"person_id": strategy.person_id}
    assert staff_view["Log contact"]["data"] == {"person_id": strategy.person_id}
    assert staff_view["Record dispute"]["data"] == {"person_id": strategy.person_id}
    assert "Start review" not in staff_view
    manager_view = {b["title"]: b for b in buttons(await case_card(teams, ALEX, strategy))}
    assert manager_view["Start review"]["data"] == {"strategy_id": strategy.id}
    assert "Propose contact strategy" not in manager_view


# -- breaches (s7.1) ---------------------------------------------------------------------


def breach_answers(form: dict[str, Any], when: datetime, **overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "breach_about": "breach",
        "breached_restriction": choice(
            form, "breached_restriction", "Phone calls limited to 10 minutes"
        ),
        "breach_occurred_at": int(when.timestamp()),
        "breach_channel": "telephone",
        "breach_what_happened": "Rang the main line three times <at>All</at> & **shouted**.",
    }
    answers.update(overrides)
    return answers


async def breach_form(teams: TeamsWorld, user: str, strategy: ContactStrategy) -> dict[str, Any]:
    form = await teams.say(user, f"BREACH {await reference_of(teams, strategy.person_id)}")
    assert form["fallbackText"] == "Record a breach", visible(form)
    assert buttons(form)[0]["verb"] == FormName.BREACH
    return form


async def record_breach(
    teams: TeamsWorld, user: str, strategy: ContactStrategy, when: datetime, **overrides: Any
) -> dict[str, Any]:
    form = await breach_form(teams, user, strategy)
    return answer_of(await teams.submit(user, form, breach_answers(form, when, **overrides)))


async def test_breach_alerts_at_once_and_the_threshold_prompts_a_review(
    world: tuple[TeamsWorld, Clock],
) -> None:
    """3 breaches within 30 days prompt a review (s7.1, s7.2); an older one does not count."""
    teams, clock = world
    strategy = await in_force_days_ago(teams, clock, 60)
    real = datetime.now(UTC)
    for when in (real - timedelta(days=59), real - timedelta(days=20), real - timedelta(days=2)):
        answer = await record_breach(teams, NIA, strategy, when)
        assert "Breach recorded" in visible(answer) and "may need review" not in visible(answer)
    await teams.settle()
    # s7.1: the proposer (Jo), the single point of contact (Sam) and the authorisers
    # (Alex, Bea) hear of each at once; the recorder and bystanders do not.
    for user in (JO, SAM, ALEX, BEA):
        alerts = teams.cards_to(user, ALERT)
        assert len(alerts) == 3, user
        body = visible(alerts[0].card)
        assert "Restriction breached: Phone calls limited to 10 minutes" in body
        assert "Rang the main line three times <at>All</at> & **shouted**." in body
        assert all(buttons(a.card) == [] for a in alerts)
    for user in (NIA, CASEY):
        assert teams.cards_to(user, ALERT) == []
    # The reminder letter is kept with the case and handed to the recorder, to send.
    async with teams.db.read() as session:
        letters = (
            (await session.execute(select(Letter).where(Letter.kind == "breach_reminder")))
            .scalars()
            .all()
        )
    assert len(letters) == 3
    assert len(teams.cards_to(NIA, letters[0].subject)) == 3

    answer = await record_breach(teams, NIA, strategy, real - timedelta(hours=1))
    assert "This is breach 3 in 30 days" in visible(answer)
    await teams.settle()
    for user in (JO, SAM, ALEX, BEA):
        latest = teams.cards_to(user, ALERT)[-1]
        assert latest.card["fallbackText"].endswith("review may be needed")
        body = visible(latest.card)
        assert "3 breaches in 30 days (the threshold is 3)" in body
        assert "a senior manager may need to seek legal advice (s7.2)" in body
        (start,) = buttons(latest.card)
        assert (start["title"], start["data"]) == ("Start review now", {"strategy_id": strategy.id})
    # "Start review now" opens the review for an authoriser, straight from the alert.
    form = await teams.open_form(ALEX, teams.cards_to(ALEX, ALERT)[-1].card, "Start review now")
    assert form["fallbackText"] == "Review the strategy"
    assert "4 breaches, 3 in the last 30 days" in visible(form)
    # The case shows the count in the window.
    assert "Breaches in the last 30 days: 3" in visible(await case_card(teams, NIA, strategy))


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"breach_occurred_at": "future"}, "breach_occurred_at", "in the future"),
        ({"breach_occurred_at": "before"}, "breach_occurred_at", "came into force"),
        ({"breach_what_happened": None}, "breach_what_happened", "Please answer"),
        ({"breach_what_happened": " \n "}, "breach_what_happened", "Please answer"),
        ({"breached_restriction": "999999"}, "breached_restriction", "Choose one of the options"),
        ({"breach_channel": "carrier_pigeon"}, "breach_channel", "Choose one of the options"),
        ({"breach_what_happened": "x" * 1501}, "breach_what_happened", "1500 characters"),
    ],
)
async def test_breach_bad_input_comes_back_on_the_form(
    world: tuple[TeamsWorld, Clock], change: dict[str, Any], field: str, message: str
) -> None:
    teams, clock = world
    strategy = await in_force_days_ago(teams, clock, 3)
    real = datetime.now(UTC)
    form = await breach_form(teams, NIA, strategy)
    when = {"future": real + timedelta(hours=2), "before": real - timedelta(days=4)}
    key, value = next(iter(change.items()))
    answers = breach_answers(form, real)
    answers[key] = int(when[value].timestamp()) if value in when else value
    again = answer_of(await teams.submit(NIA, form, answers))
    assert buttons(again)[0]["verb"] == FormName.BREACH
    assert message in error_under(again, field)
    assert await count(teams, Breach) == 0
    await teams.settle()
    assert teams.cards_to(JO, ALERT) == []


async def test_breach_forged_or_stale_details_are_refused(
    world: tuple[TeamsWorld, Clock],
) -> None:
    teams, _ = world
    first = await put_in_force(teams)
    form = await breach_form(teams, NIA, first)
    (submit,) = buttons(form)
    assert submit["data"]["_context"] == {"strategy_id": first.id}
    # A restriction of another person's strategy is not among this form's choices.
    other = await put_in_force(teams, restrictions=["call_limit"], spoc=None)
    answers = breach_answers(
        form, datetime.now(UTC), breached_restriction=str(other.restrictions[0].id)
    )
    again = answer_of(await teams.submit(NIA, form, answers))
    assert "Choose one of the options" in error_under(again, "breached_restriction")
    # Hidden details naming a strategy that is not in force, or not a number.
    for context in ({"strategy_id": first.id + 1000}, {"strategy_id": "1"}, {}):
        forged = {**form, "actions": [{**submit, "data": {"_context": context}}]}
        answer = answer_of(await teams.submit(NIA, forged, breach_answers(form, datetime.now(UTC))))
        assert "That contact strategy could not be found." in visible(answer)
    # Forged person ids on the button, and people with no strategy.
    assert "could not be found" in await teams.refused(
        NIA, ActionId.RECORD_BREACH, {"person_id": 999999}
    )
    assert "malformed" in await teams.refused(NIA, ActionId.RECORD_BREACH, {"person_id": "1; DROP"})
    await incident_card(teams, new_person_name="Robin Unrestricted")
    for user, text, expected in (
        (NIA, f"breach {await reference_of(teams)}", "has no contact strategy in force"),
        (NIA, "breach", "Tell me who it is about"),
        (NIA, "/breach SC-1999-99999", "No one on file matches"),
        (STRANGER, "breach x", "not in safecontact's staff directory"),
    ):
        assert expected in visible(await teams.say(user, text)), text
    assert await count(teams, Breach) == 0


# -- the contact log (s7.2) --------------------------------------------------------------


async def log_contact(
    teams: TeamsWorld, user: str, strategy: ContactStrategy, **answers: Any
) -> dict[str, Any]:
    form = await teams.open_form(user, await case_card(teams, user, strategy), "Log contact")
    assert form["fallbackText"] == "Log a contact"
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
    return answer_of(await teams.submit(user, form, values))


async def test_contact_log_flags_alert_the_manager_at_once(
    world: tuple[TeamsWorld, Clock],
) -> None:
    teams, _ = world
    strategy = await put_in_force(teams)
    sent_before = len(teams.fake.sends_to(conversation(JO)))
    # Nothing urgent: logged, nobody alerted.
    answer = await log_contact(teams, SAM, strategy, new_information="yes")
    assert "tell whoever proposed it" in visible(answer)
    await teams.settle()
    assert len(teams.fake.sends_to(conversation(JO))) == sent_before
    # s7.2: a new matter reaches the manager (and the proposer: Jo both, told once).
    answer = await log_contact(teams, SAM, strategy, new_complaint="yes")
    assert "Deal with the new complaint as normal" in visible(answer)
    await teams.settle()
    (alert,) = teams.cards_to(JO, "raised a new matter")
    assert "You are told as their manager." in visible(alert.card)

    # s7.2: a safeguarding issue goes to Sam's manager (Jo) straight away.
    answer = await log_contact(
        teams,
        SAM,
        strategy,
        contact_channel="telephone",
        contact_summary="Said they had not eaten for days & felt <unsafe>.",
        safeguarding="yes",
    )
    assert "I've told Jo Reed at once." in visible(answer)
    await teams.settle()
    (alert,) = teams.cards_to(JO, "raised a safeguarding issue")
    assert "felt <unsafe>" in visible(alert.card)
    assert "You are told as their manager." in visible(alert.card)
    # A criminal matter from someone with no manager on file goes to the authorisers.
    await log_contact(teams, NIA, strategy, criminal="yes")
    await teams.settle()
    for user in (ALEX, BEA):
        (alert,) = teams.cards_to(user, "raised a criminal matter")
        assert "they have no manager on file" in visible(alert.card)
    # s7.2: and the proposer of their strategy (Jo), whoever the recorder's manager is.
    (to_jo,) = teams.cards_to(JO, "criminal")
    assert "You are told as the proposer of their strategy." in visible(to_jo.card)
    async with teams.db.read() as session:
        rows = (await session.execute(select(ContactLog).order_by(ContactLog.id))).scalars().all()
    assert [(r.new_information, r.new_complaint, r.safeguarding, r.criminal) for r in rows] == [
        (True, False, False, False),
        (False, True, False, False),
        (False, False, True, False),
        (False, False, False, True),
    ]
    # `case` shows the log, newest first, with its flags.
    shown = visible(await case_card(teams, NIA, strategy))
    assert "Contact log (s7.2): 4 logged" in shown
    assert shown.index("criminal matter") < shown.index("safeguarding issue")
    assert "🚨 _safeguarding issue_" in shown and "_new complaint_" in shown
    assert "felt <unsafe>" in shown


async def test_contact_log_bad_input(world: tuple[TeamsWorld, Clock]) -> None:
    teams, _ = world
    strategy = await put_in_force(teams)
    form = await teams.open_form(SAM, await case_card(teams, SAM, strategy), "Log contact")
    values = {
        "contact_occurred_at": int(datetime.now(UTC).timestamp()) + 7200,
        "contact_channel": "email",
        "contact_summary": "x",
        "new_information": "no",
        "new_complaint": "no",
        "criminal": None,
        "safeguarding": "maybe",
    }
    again = answer_of(await teams.submit(SAM, form, values))
    assert "in the future" in error_under(again, "contact_occurred_at")
    assert "Please answer" in error_under(again, "criminal")
    assert "Choose one of the options" in error_under(again, "safeguarding")
    (submit,) = buttons(form)
    for person_id in (strategy.person_id + 100, "x"):
        forged = {**form, "actions": [{**submit, "data": {"_context": {"person_id": person_id}}}]}
        answer = answer_of(await teams.submit(SAM, forged, {**values, "criminal": "no"}))
        assert "could not be found" in visible(answer)
    assert await count(teams, ContactLog) == 0


# -- reviews (s7, s7.1) -------------------------------------------------------------------


def review_answers(outcome: str | None, **overrides: Any) -> dict[str, Any]:
    return {
        "review_outcome": outcome,
        "review_reasons": "Still calling daily <and> swearing at the SPOC & others.",
        "review_public_summary": "We have looked again at how you contact us (s7.1).",
        "new_review_date": in_days(120),
        **overrides,
    }


async def review_form(teams: TeamsWorld, user: str, strategy: ContactStrategy) -> dict[str, Any]:
    form = await teams.open_form(user, await case_card(teams, user, strategy), "Start review")
    assert form["fallbackText"] == "Review the strategy"
    assert buttons(form)[0]["verb"] == FormName.REVIEW
    return form


async def reviews(teams: TeamsWorld) -> list[Review]:
    async with teams.db.read() as session:
        return list((await session.execute(select(Review).order_by(Review.id))).scalars())


async def test_continue_and_end_tell_everyone_and_write(world: tuple[TeamsWorld, Clock]) -> None:
    teams, _ = world
    strategy = await put_in_force(teams)
    form = await review_form(teams, ALEX, strategy)
    answer = answer_of(await teams.submit(ALEX, form, review_answers("continue")))
    assert "Review recorded" in visible(answer) and "continues" in visible(answer)
    await teams.settle()
    after = await stored(teams, strategy.id)
    assert after.status == "active" and after.review_date.isoformat() == in_days(120)
    (row,) = await reviews(teams)
    assert (row.outcome, row.new_review_date) == ("continued", after.review_date)
    # The letter (s7.1: "told about any changes") to the reviewer, and the others told.
    async with teams.db.read() as session:
        (letter,) = (
            await session.execute(select(Letter).where(Letter.kind == "strategy_continued"))
        ).scalars()
    assert len(teams.cards_to(ALEX, letter.subject)) == 1
    for user in (JO, SAM, BEA):
        (notice,) = teams.cards_to(user, "continues")
        assert "Alex Morgan reviewed the contact strategy" in visible(notice.card)

    # Jo proposed it: Jo may end it (ending lifts restrictions), but not continue it alone.
    form = await review_form(teams, JO, strategy)
    again = answer_of(await teams.submit(JO, form, review_answers("continue")))
    assert "not whoever proposed them (its own safeguard)" in error_under(again, "review_outcome")
    answer = answer_of(await teams.submit(JO, again, review_answers("end", new_review_date=None)))
    assert "has ended" in visible(answer)
    await teams.settle()
    assert (await stored(teams, strategy.id)).status == "ended"
    for user in (SAM, ALEX, BEA):
        assert teams.cards_to(user, "has ended"), user
    case = await case_card(teams, NIA, strategy)
    assert "No restrictions on contact" in visible(case)
    assert "Record breach" not in [b["title"] for b in buttons(case)]
    text = await teams.refused(ALEX, ActionId.START_REVIEW, {"strategy_id": strategy.id})
    assert "no longer in force" in text


@pytest.mark.parametrize(
    ("outcome", "overrides", "field", "message"),
    [
        ("continue", {"review_reasons": None}, "review_reasons", "Please answer"),
        ("end", {"review_reasons": "   "}, "review_reasons", "Please answer"),
        ("continue", {"new_review_date": None}, "new_review_date", "Give the next review date"),
        ("continue", {"new_review_date": in_days(-3)}, "new_review_date", "in the future"),
        ("continue", {"new_review_date": in_days(400)}, "new_review_date", "within 12 months"),
        (None, {}, "review_outcome", "Please answer"),
        ("suspend", {}, "review_outcome", "Choose one of the options"),
    ],
)
async def test_review_bad_input_changes_nothing(
    world: tuple[TeamsWorld, Clock],
    outcome: str | None,
    overrides: dict[str, Any],
    field: str,
    message: str,
) -> None:
    teams, _ = world
    strategy = await put_in_force(teams)
    form = await review_form(teams, ALEX, strategy)
    again = answer_of(await teams.submit(ALEX, form, review_answers(outcome, **overrides)))
    assert message in error_under(again, field)
    if "review_reasons" not in overrides:  # what was typed is kept
        assert value_of(again, "review_reasons") == review_answers(None)["review_reasons"]
    after = await stored(teams, strategy.id)
    assert (after.status, after.review_date) == ("active", strategy.review_date)
    assert await reviews(teams) == []


async def test_alter_goes_through_authorisation_again(world: tuple[TeamsWorld, Clock]) -> None:
    teams, _ = world
    strategy = await put_in_force(teams)
    form = await review_form(teams, ALEX, strategy)
    # "Alter" answers with the proposal form, prefilled from the strategy in force; it
    # replaces the review form on the card.
    altered = answer_of(
        await teams.submit(ALEX, form, review_answers("alter", new_review_date=None))
    )
    assert altered["fallbackText"] == "Alter the strategy"
    assert buttons(altered)[0]["verb"] == FormName.ALTERATION
    assert "daily <and> swearing" in value_of(altered, "review_reasons")
    assert set(value_of(altered, "restrictions").split(",")) == {
        "single_method",
        "call_limit",
        "spoc",
    }
    assert value_of(altered, "call_minutes") == 10
    assert buttons(altered)[0]["data"]["_context"]["supersedes"] == strategy.id
    assert await reviews(teams) == []  # nothing is stored until the change is sent

    change = {
        "review_reasons": "Calls are shorter now; email is the problem.",
        "restrictions": ["single_method", "spoc"],
        "contact_method": "letter",
        "spoc": choice(altered, "spoc", "Sam Patel"),
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
        "incidents": value_of(altered, "incidents").split(","),
        "call_minutes": None,
        **{f"criterion_{c}": f"Re-checked {c}." for c in CRITERIA},
    }
    # The proposal form's own rules still apply, under their fields.
    again = answer_of(await teams.submit(ALEX, altered, {**change, "criteria": list(CRITERIA[:2])}))
    assert "All five must be satisfied" in error_under(again, "criteria")
    answer = answer_of(await teams.submit(ALEX, again, change))
    assert "Bea Khan" in visible(answer) and "stays in force" in visible(answer)
    await teams.settle()
    async with teams.db.read() as session:
        new = (
            await session.execute(
                select(ContactStrategy).where(ContactStrategy.supersedes_id == strategy.id)
            )
        ).scalar_one()
        auth = (
            await session.execute(select(Authorisation).where(Authorisation.strategy_id == new.id))
        ).scalar_one()
    assert (auth.kind, auth.status, new.status) == ("change", "pending", "pending")
    (row,) = await reviews(teams)
    assert (row.outcome, row.new_strategy_id) == ("altered", new.id)
    # Separation of duties (s7): Alex asked for the change, so only Bea is asked.
    assert [
        c for c in approval_cards(teams, ALEX) if "Change to contact" in c.card["fallbackText"]
    ] == []
    (card,) = [
        c for c in approval_cards(teams, BEA) if "Change to contact" in c.card["fallbackText"]
    ]
    text = await teams.refused(ALEX, ActionId.APPROVE, {"authorisation_id": auth.id})
    assert "another authoriser must decide" in text
    # While the change waits, the strategy cannot be reviewed again.
    text = await teams.refused(JO, ActionId.START_REVIEW, {"strategy_id": strategy.id})
    assert "waiting for authorisation" in text

    await approve(teams, BEA, card.card)
    await teams.settle()
    # In force once the person is told of the change, by its letter (s7.1).
    old, new = await stored(teams, strategy.id), await stored(teams, new.id)
    assert (old.status, new.status) == ("active", "approved")
    async with teams.db.read() as session:
        letter = (
            await session.execute(select(Letter).where(Letter.strategy_id == new.id))
        ).scalar_one()
    await record_letter_sent(teams, ALEX, letter.id)
    old, new = await stored(teams, strategy.id), await stored(teams, new.id)
    assert (old.status, new.status) == ("altered", "active")
    shown = visible(await case_card(teams, NIA, new))
    assert "Contact only by letter" in shown and "Phone calls limited" not in shown
    now = teams.now(BEA, str(card.activity_id))
    assert "Approved by Bea Khan" in visible(now) and buttons(now) == []


async def test_the_first_review_wins(world: tuple[TeamsWorld, Clock]) -> None:
    teams, _ = world
    strategy = await put_in_force(teams)
    first = await review_form(teams, ALEX, strategy)
    second = await review_form(teams, BEA, strategy)
    results = await asyncio.gather(
        teams.submit(ALEX, first, review_answers("end", new_review_date=None)),
        teams.submit(BEA, second, review_answers("continue")),
    )
    texts = [visible(answer_of(r)) for r in results]
    assert sum("Already reviewed by" in t for t in texts) == 1, texts
    assert len(await reviews(teams)) == 1
    # A late third submission of the same form is told who reviewed it and how.
    late = answer_of(await teams.submit(ALEX, first, review_answers("end", new_review_date=None)))
    assert "Already reviewed by" in visible(late)
    # So is someone who may not review at all, whatever the form says.
    forged = answer_of(await teams.submit(NIA, second, review_answers("end")))
    assert "Already reviewed by" in visible(forged) or "Only the manager" in visible(forged)
    assert len(await reviews(teams)) == 1


# -- disputes (s7.3) ----------------------------------------------------------------------

CARD_TITLE = "Dispute of the contact strategy"
GROUNDS = "I was never abusive <honest> & I need to phone about my **benefits**."


async def record_dispute(teams: TeamsWorld, strategy: ContactStrategy, **answers: Any) -> str:
    form = await teams.open_form(NIA, await case_card(teams, NIA, strategy), "Record dispute")
    assert form["fallbackText"] == "Record a dispute"
    values = {"dispute_received_on": date.today().isoformat(), "dispute_grounds": GROUNDS}
    return visible(answer_of(await teams.submit(NIA, form, {**values, **answers})))


async def the_dispute(teams: TeamsWorld) -> Dispute:
    async with teams.db.read() as session:
        return (await session.execute(select(Dispute))).scalar_one()


async def test_the_chief_executive_considers_a_dispute(world: tuple[TeamsWorld, Clock]) -> None:
    teams, _ = world
    strategy = await put_in_force(teams)
    text = await record_dispute(teams, strategy)
    assert "I'm asking Casey Chief to consider it" in text
    await teams.settle()
    dispute = await the_dispute(teams)
    (card,) = teams.cards_to(CASEY, CARD_TITLE)
    body = visible(card.card)
    assert "As Chief Executive, you consider disputes" in body
    assert GROUNDS in body and "Authorised by: Bea Khan" in body
    assert [(b["title"], b["data"]) for b in buttons(card.card)] == [
        ("Record the outcome", {"dispute_id": dispute.id})
    ]
    for user in (ALEX, BEA, JO):
        assert teams.cards_to(user, CARD_TITLE) == []
        text = await teams.refused(user, ActionId.DISPUTE_DECIDE, {"dispute_id": dispute.id})
        assert "Only the person asked to consider this dispute" in text

    form = await teams.open_form(CASEY, card.card, "Record the outcome")
    again = answer_of(await teams.submit(CASEY, form, {"dispute_outcome": "upheld"}))
    assert "Please answer" in error_under(again, "dispute_outcome_reasons")
    answer = answer_of(
        await teams.submit(
            CASEY,
            again,
            {
                "dispute_outcome": "upheld",
                "dispute_outcome_reasons": "The calls were <abusive>.",
                "dispute_outcome_summary": "We have considered what you wrote.",
            },
        )
    )
    assert "Outcome recorded" in visible(answer)
    await teams.settle()
    dispute = await the_dispute(teams)
    assert dispute.outcome == "upheld" and dispute.decided_at is not None
    # The card now shows the decision, in place, and no button.
    (update,) = teams.fake.updates_in(conversation(CASEY))
    assert update.activity_id == card.activity_id
    now = teams.now(CASEY, str(card.activity_id))
    assert "decided by Casey Chief" in visible(now) and buttons(now) == []
    # s7.3: the letter to the recorder, to send; the recorder and proposer are told.
    async with teams.db.read() as session:
        (letter,) = (
            await session.execute(select(Letter).where(Letter.kind == "dispute_outcome"))
        ).scalars()
    assert len(teams.cards_to(NIA, letter.subject)) == 1
    for user in (NIA, JO):
        (notice,) = teams.cards_to(user, "Dispute for")
        assert "The calls were <abusive>." in visible(notice.card)
        assert buttons(notice.card) == []
    text = await teams.refused(CASEY, ActionId.DISPUTE_DECIDE, {"dispute_id": dispute.id})
    assert text.startswith("Already decided by Casey Chief")


async def test_a_chief_executive_who_authorised_it_is_not_asked(fresh_db_url: str) -> None:
    """Casey, nominated as an authoriser, approved the strategy herself: an authoriser who
    took no part is asked instead, only they may decide, and the first decision wins."""
    directory = [
        e.model_copy(update={"roles": ["chief_executive", "authoriser"]})
        if e.teams_user_id == CASEY
        else e
        for e in DIRECTORY
    ]
    teams, stop = await start_teams(fresh_db_url, staff=directory)
    try:
        await everyone_opens(teams)
        strategy = await put_in_force(teams, approver=CASEY)
        text = await record_dispute(teams, strategy)
        assert "I'm asking Alex Morgan to consider it" in text
        await teams.settle()
        dispute = await the_dispute(teams)
        (card,) = teams.cards_to(ALEX, CARD_TITLE)
        body = visible(card.card)
        assert "The Chief Executive (Casey Chief) took part in the decision" in body
        assert "Authorised by: Casey Chief" in body and "independently instead" in body
        # Casey is told, not asked, and cannot decide even with a forged click or form.
        assert teams.cards_to(CASEY, CARD_TITLE) == []
        (notice,) = teams.cards_to(CASEY, "is being considered")
        assert "Alex Morgan has been asked to consider it independently" in visible(notice.card)
        text = await teams.refused(CASEY, ActionId.DISPUTE_DECIDE, {"dispute_id": dispute.id})
        assert "Only the person asked" in text
        form = await teams.open_form(ALEX, card.card, "Record the outcome")
        mine = {
            "dispute_outcome": "upheld",
            "dispute_outcome_reasons": "Mine to decide.",
            "dispute_outcome_summary": "We have considered what you wrote.",
        }
        assert "Only the person asked" in visible(answer_of(await teams.submit(CASEY, form, mine)))
        assert (await the_dispute(teams)).outcome is None

        # The first decision wins, even when two arrive at once.
        different = {
            "dispute_outcome": "different",
            "dispute_outcome_reasons": "An advocate should make contact instead.",
            "dispute_outcome_summary": "We have considered what you wrote.",
        }
        results = await asyncio.gather(
            teams.submit(ALEX, form, different), teams.submit(ALEX, form, different)
        )
        texts = [visible(answer_of(r)) for r in results]
        assert sum("Already decided by Alex Morgan" in t for t in texts) == 1, texts
        await teams.settle()
        assert (await the_dispute(teams)).outcome == "different"
        now = teams.now(ALEX, str(card.activity_id))
        assert "decided by Alex Morgan" in visible(now) and buttons(now) == []
        # The proposer is offered the review that puts the new course into effect.
        (outcome,) = teams.cards_to(JO, "Dispute for")
        assert [(b["title"], b["data"]) for b in buttons(outcome.card)] == [
            ("Start review", {"strategy_id": strategy.id})
        ]
        form = await teams.open_form(JO, outcome.card, "Start review")
        assert form["fallbackText"] == "Review the strategy"
        # s7.3: the new course is taken at a review, due now, which cannot simply continue.
        assert "A different course of action was determined (s7.3)" in visible(outcome.card)
        (bea_notice,) = teams.cards_to(BEA, "Dispute for")
        review = await teams.open_form(BEA, bea_notice.card, "Start review")
        refused = answer_of(
            await teams.submit(
                BEA,
                review,
                {
                    "review_outcome": "continue",
                    "review_reasons": "Still needed.",
                    "review_public_summary": "We have looked again.",
                    "new_review_date": in_days(60),
                },
            )
        )
        assert "cannot simply continue: choose Alter or End" in visible(refused)
        teams.assert_all_cards_valid()
    finally:
        await stop()


async def test_dispute_bad_input_and_forged_ids(world: tuple[TeamsWorld, Clock]) -> None:
    teams, clock = world
    strategy = await in_force_days_ago(teams, clock, 5)
    form = await teams.open_form(NIA, await case_card(teams, NIA, strategy), "Record dispute")
    for answers, field, message in (
        ({"dispute_received_on": in_days(1)}, "dispute_received_on", "in the future"),
        ({"dispute_received_on": in_days(-6)}, "dispute_received_on", "before the strategy"),
        ({"dispute_grounds": "  \n "}, "dispute_grounds", "Please answer"),
        ({"dispute_grounds": "x" * 3001}, "dispute_grounds", "3000 characters"),
    ):
        values = {"dispute_received_on": date.today().isoformat(), "dispute_grounds": GROUNDS}
        again = answer_of(await teams.submit(NIA, form, {**values, **answers}))
        assert message in error_under(again, field), (answers, visible(again))
    (submit,) = buttons(form)
    for context in ({"strategy_id": strategy.id + 100}, {"strategy_id": str(strategy.id)}):
        forged = {**form, "actions": [{**submit, "data": {"_context": context}}]}
        answer = answer_of(await teams.submit(NIA, forged, {"dispute_grounds": GROUNDS}))
        assert "could not be found" in visible(answer)
    assert await count(teams, Dispute) == 0
    await teams.settle()
    assert teams.cards_to(CASEY, CARD_TITLE) == []
    text = await teams.refused(NIA, ActionId.DISPUTE_DECIDE, {"dispute_id": 4242})
    assert "could not be found" in text
    # Buttons carry ids, not people: a forged click is answered, never a 5xx.
    status, answer = await teams.invoke(NIA, ActionId.RECORD_DISPUTE, {"person_id": [1]})
    assert status == 200 and answer["type"] == MESSAGE and "malformed" in answer["value"]
    assert [i["id"] for i in inputs(form)] == ["dispute_received_on", "dispute_grounds"]


async def test_waiting_lists_what_each_person_must_decide(world: tuple[TeamsWorld, Clock]) -> None:
    """Teams has no home tab: `waiting` shows what Slack's App Home shows (s6, s7, s7.3)."""
    teams, _ = world
    card = await teams.say(ALEX, "waiting")
    assert "Nothing is waiting for you." in visible(card)
    # An incident for Jo to acknowledge, and Jo's proposal for the authorisers.
    await propose(teams)
    await teams.settle()
    ref = await reference_of(teams)
    jo = await teams.say(JO, "waiting")
    assert f"{ref} reported by Sam Patel" in visible(jo)
    # Each button is named apart, for a screen reader; the card says what waiting means.
    (title,) = [b["title"] for b in buttons(jo)]
    assert title.startswith(f"Acknowledge {ref} (")
    assert "Waiting means: incident reports from the last 30 days" in visible(jo)
    status, answer = await teams.click(JO, jo, title)
    assert status == 200 and answer["type"] == MESSAGE, answer
    assert f"{ref} reported by Sam Patel" not in visible(await teams.say(JO, "waiting"))
    for user in (ALEX, BEA):
        text = visible(await teams.say(user, "waiting"))
        assert f"{ref} - Jo Reed asks you to authorise a contact strategy" in text
    (request,) = approval_cards(teams, BEA)
    await approve(teams, BEA, request.card)
    await teams.settle()
    assert "asks you to authorise" not in visible(await teams.say(ALEX, "waiting"))
    async with teams.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        letter = (await session.execute(select(Letter))).scalar_one()
    await record_letter_sent(teams, JO, letter.id)
    async with teams.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()

    # A dispute for Casey, decided from the waiting card itself.
    await record_dispute(teams, strategy)
    await teams.settle()
    dispute = await the_dispute(teams)
    casey = await teams.say(CASEY, "waiting")
    assert f"{ref} - a dispute of their contact strategy" in visible(casey)
    assert [(b["title"], b["data"]) for b in buttons(casey)] == [
        ("Record the outcome", {"dispute_id": dispute.id})
    ]
    form = await teams.open_form(CASEY, casey, "Record the outcome")
    status, answer = await teams.submit(
        CASEY,
        form,
        {
            "dispute_outcome": "upheld",
            "dispute_outcome_reasons": "Still needed.",
            "dispute_outcome_summary": "We have considered what you wrote.",
        },
    )
    assert status == 200, answer
    await teams.settle()
    assert "Nothing is waiting for you." in visible(await teams.say(CASEY, "waiting"))


async def test_teams_information_requests_matters_and_read_no_action(
    world: tuple[TeamsWorld, Clock],
) -> None:
    """The same forms as Slack's (s7.2, s9, s6): a request for information goes to the
    handlers, a new matter stays open on `case` until closed, and correspondence after a
    written warning that reached them is read and filed with no action."""
    from storage.models import ContactLog, Matter
    from tests.teams_harness import ADA

    teams, _ = world
    await teams.say(ADA, "hi")
    strategy = await put_in_force(teams)
    answer = await log_contact(teams, SAM, strategy, information_request="yes")
    assert "I've told Ada Admin at once." in visible(answer)
    await teams.settle()
    (alert,) = teams.cards_to(ADA, "raised a request for information (s9)")
    assert "You are told as someone who handles these requests." in visible(alert.card)

    await log_contact(teams, SAM, strategy, new_complaint="yes", contact_summary="Bins <b>.")
    case = await case_card(teams, NIA, strategy)
    assert "Open matter (s7.2), raised" in visible(case) and "Bins <b>." in visible(case)
    form = await teams.open_form(NIA, case, "Close matter")
    answer = answer_of(
        await teams.submit(
            NIA, form, {"matter_how": "dealt_with", "matter_outcome": "Answered in 10 days."}
        )
    )
    assert "Matter closed" in visible(answer)
    assert "Open matter" not in visible(await case_card(teams, NIA, strategy))

    # No written warning has reached them: nothing is filed with no action.
    form = await teams.open_form(SAM, await case_card(teams, SAM, strategy), "Log contact")
    refused = answer_of(
        await teams.submit(
            SAM,
            form,
            {
                "contact_occurred_at": int(datetime.now(UTC).timestamp()) - 60,
                "contact_channel": "letter",
                "contact_summary": "The same again.",
                **dict.fromkeys(
                    ("new_information", "new_complaint", "criminal", "safeguarding"), "no"
                ),
                "information_request": "no",
                "read_no_action": "yes",
            },
        )
    )
    assert "No written warning to them is on file as sent" in visible(refused)
    async with teams.db.read() as session:
        rows = (await session.execute(select(ContactLog))).scalars().all()
        (matter,) = (await session.execute(select(Matter))).scalars().all()
    assert [r.read_no_action_warning_id for r in rows] == [None, None]
    assert matter.closed_at is not None and matter.outcome == "Answered in 10 days."
    teams.assert_all_cards_valid()
