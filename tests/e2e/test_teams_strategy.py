"""Contact strategies on Teams: propose, authorise on cards, letters, sharing (s7, s7.1).

The Teams twin of test_slack_strategy.py, driven through the real CloudAdapter over HTTP:
forms are filled in from the cards the bot sent, buttons are Action.Execute invokes, and
every copy of a card is followed in the fake Bot Connector as its user now sees it (an
update in place replaces the activity it names). Every card is checked against the
Adaptive Card 1.5 schema by the fixture.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.settings import Settings
from cards.ids import ActionId, FormName
from dialogs.authorisation.rules import OWN_REQUEST
from storage.models import (
    Authorisation,
    ContactStrategy,
    Disclosure,
    Incident,
    Letter,
    Person,
    ScheduledJob,
    SharingRequest,
)
from tests.e2e.test_slack_strategy import CRITERIA, proposal
from tests.e2e.test_slack_strategy import open_proposal as open_slack_proposal
from tests.e2e.test_slack_strategy import spoc_value as slack_spoc_value
from tests.fake_connector import Call, FakeConnector
from tests.fake_slack import FakeSlack, dm
from tests.slack_harness import DIRECTORY as SLACK_DIRECTORY
from tests.slack_harness import SECRET, SlackWorld
from tests.teams_harness import (
    ADA,
    ALEX,
    BEA,
    CARD,
    CASEY,
    JO,
    MESSAGE,
    NIA,
    SAM,
    STRANGER,
    TeamsWorld,
    assert_valid_card,
    buttons,
    conversation,
    inputs,
    report,
    start_server,
    visible,
)

APPROVAL = "for approval"
CONFIRM = "Yes, approve"

# -- helpers, shared with test_teams_monitoring.py ---------------------------------------


async def everyone_opens(teams: TeamsWorld) -> None:
    """Teams lets a bot write first only to people who have opened it."""
    for user in (SAM, JO, ALEX, BEA, CASEY, ADA, NIA):
        await teams.say(user, "help")


def choice(form: dict[str, Any], field_id: str, title: str) -> str:
    """The value of the option titled `title` in one of the form's choice sets."""
    (element,) = [i for i in inputs(form) if i["id"] == field_id]
    return next(c["value"] for c in element["choices"] if c["title"] == title)


def error_under(form: dict[str, Any], field_id: str) -> str:
    """The message shown under a field of a form that came back with errors ("" if none)."""
    body = form["body"]
    at = next(i for i, e in enumerate(body) if str(e.get("id", "")).startswith(field_id))
    for element in body[at + 1 :]:
        if str(element.get("id", "")).split("__")[0] not in ("", field_id):
            return ""  # the next field: none under this one
        if element.get("type") == "TextBlock" and element["text"].startswith("⚠️"):
            return visible({"body": [element]}).removeprefix("⚠️ ")
    return ""


def value_of(form: dict[str, Any], field_id: str) -> Any:
    (element,) = [i for i in inputs(form) if i["id"] == field_id]
    return element.get("value")


async def reference_of(teams: TeamsWorld, person_id: int | None = None) -> str:
    async with teams.db.read() as session:
        stmt = select(Person.reference).order_by(Person.id.desc())
        if person_id is not None:
            stmt = stmt.where(Person.id == person_id)
        return (await session.execute(stmt)).scalars().first() or ""


async def latest_incident(teams: TeamsWorld) -> Incident:
    async with teams.db.read() as session:
        found = (await session.execute(select(Incident).order_by(Incident.id.desc()))).scalar()
        assert found is not None
        return found


async def incident_card(teams: TeamsWorld, **overrides: Any) -> dict[str, Any]:
    """Sam reports; the card Jo, his manager, got."""
    await report(teams, **overrides)
    await teams.settle()
    return teams.cards_to(JO, "Incident report")[-1].card


async def proposal_form(teams: TeamsWorld, user: str, **report_overrides: Any) -> dict[str, Any]:
    """Jo opens the proposal from the incident card; anyone else with `strategy REF`."""
    card = await incident_card(teams, **report_overrides)
    if user == JO:
        form = await teams.open_form(JO, card, "Propose contact strategy")
    else:
        form = await teams.say(user, f"strategy {await reference_of(teams)}")
    assert form["fallbackText"] == "Propose a strategy", visible(form)
    assert buttons(form)[0]["verb"] == FormName.STRATEGY
    return form


def answers_for(form: dict[str, Any], incident_id: int, **overrides: Any) -> dict[str, Any]:
    answers = proposal(**overrides)
    if "spoc" in answers["restrictions"] and "spoc" not in overrides:
        answers["spoc"] = choice(form, "spoc", "Sam Patel")
    answers.setdefault("incidents", [str(incident_id)])
    return answers


async def propose(
    teams: TeamsWorld,
    user: str = JO,
    *,
    at: datetime | None = None,
    reported: dict[str, Any] | None = None,
    **overrides: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the card that answered the submission, the form it answered).

    `at` is the server's time now, when a test has set its clock back; `reported`, the
    incident report's answers.
    """
    at = at or datetime.now(UTC)
    form = await proposal_form(
        teams,
        user,
        occurred_at=int((at - timedelta(hours=1)).timestamp()),
        **(reported or {}),
    )
    overrides.setdefault("review_date", (at.date() + timedelta(days=90)).isoformat())
    incident = await latest_incident(teams)
    status, answer = await teams.submit(user, form, answers_for(form, incident.id, **overrides))
    assert status == 200 and answer["type"] == CARD, answer
    return answer["value"], form


def approval_cards(teams: TeamsWorld, user: str) -> list[Call]:
    return teams.cards_to(user, APPROVAL)


async def the_authorisation(teams: TeamsWorld) -> Authorisation:
    async with teams.db.read() as session:
        found = (
            await session.execute(select(Authorisation).order_by(Authorisation.id.desc()))
        ).scalar()
        assert found is not None
        return found


async def approve(teams: TeamsWorld, user: str, card: dict[str, Any]) -> str:
    """Approve, through the card's confirmation step; the message shown to the user."""
    (show,) = [a for a in card["actions"] if a["type"] == "Action.ShowCard"]
    assert show["title"] == "Approve"
    status, answer = await teams.click(user, show["card"], CONFIRM)
    assert status == 200 and answer["type"] == MESSAGE, answer
    return str(answer["value"])


async def put_in_force(
    teams: TeamsWorld,
    *,
    at: datetime | None = None,
    proposer: str = JO,
    approver: str = BEA,
    reported: dict[str, Any] | None = None,
    **overrides: Any,
) -> ContactStrategy:
    """Propose (SPOC Sam Patel by default) and approve on Teams; the strategy in force."""
    answer, _ = await propose(teams, proposer, at=at, reported=reported, **overrides)
    assert "Proposal sent" in visible(answer), visible(answer)
    await teams.settle()
    auth = await the_authorisation(teams)
    card = next(
        c.card
        for c in approval_cards(teams, approver)
        if c.card["actions"][1]["data"] == {"authorisation_id": auth.id}
    )
    assert (await approve(teams, approver, card)).startswith("Approved")
    await teams.settle()
    async with teams.db.read() as session:
        letter = (
            await session.execute(
                select(Letter)
                .where(Letter.strategy_id == auth.strategy_id)
                .order_by(Letter.id.desc())
            )
        ).scalar()
    assert letter is not None
    # The letter's day is the office's (a date before midnight UTC may be the next day in
    # the office's zone, as in British Summer Time).
    zone = teams.runtime.settings.policy.zone
    await record_letter_sent(
        teams, proposer, letter.id, on=at.astimezone(zone).date() if at else None
    )
    async with teams.db.read() as session:
        strategy = await session.get(ContactStrategy, auth.strategy_id)
    assert strategy is not None and strategy.status == "active"
    return strategy


def letter_cards(teams: TeamsWorld, user: str, letter_id: int) -> list[Call]:
    """The cards carrying "Record letter sent" for one letter, sent to a member of staff."""
    return [
        c
        for c in teams.cards_to(user, "Letter for")
        if {"letter_id": letter_id} in [b.get("data") for b in buttons(c.card)]
    ]


async def record_letter_sent(
    teams: TeamsWorld, user: str, letter_id: int, *, method: str = "post", on: date | None = None
) -> dict[str, Any]:
    """Press "Record letter sent" on the letter's card, and submit the form; the answer."""
    (card,) = letter_cards(teams, user, letter_id)
    form = await teams.open_form(user, card.card, "Record letter sent")
    sent_on = (on or datetime.now(teams.runtime.settings.policy.zone).date()).isoformat()
    status, answer = await teams.submit(user, form, {"sent_method": method, "sent_on": sent_on})
    assert status == 200, answer
    await teams.settle()
    return answer


# -- the whole path ----------------------------------------------------------------------


async def test_propose_approve_activate_and_tell_everyone(teams: TeamsWorld) -> None:
    await everyone_opens(teams)
    answer, form = await propose(teams)
    # The form asked what Slack's modal asks: the six restrictions, the s5, s6 and s7
    # questions, and a review date within the year.
    assert value_of(form, "incidents") == str((await latest_incident(teams)).id)
    ids = {i["id"] for i in inputs(form)}
    assert {"restrictions", "spoc", "unusable_methods", "criteria", "review_date"} <= ids
    assert {f"criterion_{c}" for c in CRITERIA} <= ids
    assert "Proposal sent" in visible(answer)
    assert "has gone to Alex Morgan and Bea Khan to decide" in visible(answer)
    await teams.settle()

    # Every authoriser gets the card, with the evidence they must weigh.
    sent = {user: approval_cards(teams, user) for user in (ALEX, BEA)}
    for user, cards in sent.items():
        assert len(cards) == 1, user
        text = visible(cards[0].card)
        assert "Contact only by letter" in text and "Phone calls limited to 10 minutes" in text
        assert "Single point of contact: Sam Patel" in text
        assert "The matter raised is being, or has been, considered" in text
        assert "Checked proportionate with the case file." in text
        # s6: nothing on file, so the proposer's reason, set apart (see the warned-first
        # tests in test_slack_strategy.py for a warning on file).
        assert (
            "Not warned first. The proposer's reason: An immediate risk to staff: threats "
            "made on the phone." in text
        )
        flagged = [b for b in cards[0].card["body"] if b.get("color") == "Attention"]
        # s4 then s6, each set apart: the report's No, and no warning first.
        assert [b["text"][:12] for b in flagged] == ["⚠️ Report of", "⚠️ Not warne"]
        assert "What was done: We now write every two weeks with an update." in text
        assert "Letters in large print" in text
        assert "Incident " in text  # the person's history
        assert "Repeated abusive calls <b>despite</b> a written warning & a verbal one." in text
        # Approved with the reasons: the words the letter will say (issue 14, s7).
        assert "What we will tell them" in text
        assert "We are limiting how you can contact us for a while." in text
        assert [a["title"] for a in cards[0].card["actions"]] == [
            "Approve",
            "Deny",
            "Ask for changes",
            "Approve from a date",
        ]
    for user in (JO, SAM, NIA, CASEY):
        assert approval_cards(teams, user) == []
    auth = await the_authorisation(teams)
    async with teams.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
    assert auth.status == "pending" and strategy.status == "pending"

    # Approve asks first: the card's own confirmation, then the decision.
    note = await approve(teams, BEA, sent[BEA][0].card)
    reference = await reference_of(teams)
    assert note == (
        f"Approved: {reference}. I'm letting the requester know, and I'll tell you if that "
        "message can't be delivered."
    )
    await teams.settle()

    async with teams.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        auth = (await session.execute(select(Authorisation))).scalar_one()
        letter = (await session.execute(select(Letter))).scalar_one()
        kinds = (await session.execute(select(ScheduledJob.kind))).scalars().all()
    # Approved is not in force (s6, s7): nothing is restricted until the letter is sent.
    assert strategy.status == "approved" and strategy.activated_at is None
    assert auth.status == "approved" and auth.decided_by_id is not None
    assert "review_reminder" not in kinds and "letter_unsent" in kinds
    assert letter.strategy_id == strategy.id and letter.send_by == "letter"
    # Both authorisers' cards now show the decision, in place, with no buttons left.
    for user, cards in sent.items():
        (update,) = teams.fake.updates_in(conversation(user))
        assert update.activity_id == cards[0].activity_id
        now = teams.now(user, str(cards[0].activity_id))
        assert "Approved by Bea Khan (nominated by Casey Chief on 12 Jan 2026) at" in visible(now)
        assert "actions" not in now and buttons(now) == []
        assert now["fallbackText"].endswith(" - Approved")
    # The proposer gets the outcome and the letter (as a card carrying its text), and the
    # card to record it sent; nobody is told to restrict anything yet.
    (notice,) = teams.cards_to(JO, "was approved")
    assert "not yet in force" in visible(notice.card)
    (letter_card,) = teams.cards_to(JO, letter.subject)
    shown = " ".join(visible(letter_card.card).split())
    assert f"Letter for {reference}" in shown
    assert "your behaviour towards our office has been unacceptable or unreasonable" in shown
    assert "call 999 in an emergency, or 101" in shown
    assert "write to our Chief Executive" in shown
    # What we will tell them, never the internal reasons (issue 14, s7).
    assert "We are limiting how you can contact us for a while." in shown
    assert "Repeated abusive calls" not in shown
    (ready,) = letter_cards(teams, JO, letter.id)
    assert "not in force" in visible(ready.card)
    assert teams.cards_to(SAM, "now in force") == []

    answer = await record_letter_sent(teams, JO, letter.id, method="hand")
    assert (
        "now in force" in visible(answer["value"])
        if isinstance(answer["value"], dict)
        else ("now in force" in str(answer["value"]))
    )
    async with teams.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        letter = (await session.execute(select(Letter))).scalar_one()
        kinds = (await session.execute(select(ScheduledJob.kind))).scalars().all()
    assert strategy.status == "active" and strategy.activated_at is not None
    assert letter.sent_method == "hand" and letter.sent_by_id is not None
    assert kinds.count("review_reminder") == 3 and "review_overdue" in kinds
    # The letter's card now shows its sending record, in place, with no button left.
    now = teams.now(JO, str(ready.activity_id))
    assert "Sent by hand on" in visible(now) and buttons(now) == []
    (in_force,) = teams.cards_to(SAM, "now in force")
    assert "You are their single point of contact." in visible(in_force.card)
    # Jo proposed, recorded the letter sent and is Sam's manager: told there, not again.
    assert teams.cards_to(JO, "now in force") == []

    # `case` now shows the restrictions to any member of staff (s7.1), with what they
    # may do about them.
    case = await teams.say(NIA, f"case {reference}")
    text = visible(case)
    assert "Contact strategy in force - keep to it (s7.1)" in text
    assert "Contact only by letter" in text and "Single point of contact: Sam Patel" in text
    assert "Breaches in the last 30 days: 0" in text
    assert "Contact log (s7.2): 0 logged" in text
    assert [b["title"] for b in buttons(case)] == [
        "Record needs",
        "Record breach",
        "Record dispute",
        "Log contact",
        "Request to share with a partner agency",
    ]
    manager_view = await teams.say(ALEX, f"case {reference}")
    assert {"title": "Start review", "data": {"strategy_id": strategy.id}}.items() <= next(
        b for b in buttons(manager_view) if b["title"] == "Start review"
    ).items()
    assert "Propose contact strategy" not in [b["title"] for b in buttons(manager_view)]


# -- the form's rules, shown on the form ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {
                "restrictions": ["block_channels"],
                "blocked_channels": ["letter", "email", "telephone", "in_person"],
            },
            "restrictions",
            "close every route",
        ),
        (
            {
                "restrictions": ["single_method"],
                "contact_method": "telephone",
                "unusable_methods": ["telephone"],
                "letter_channel": None,
            },
            "restrictions",
            "no method they can use",
        ),
        (
            {"review_date": (date.today() - timedelta(days=1)).isoformat()},
            "review_date",
            "must be in the future",
        ),
        (
            {"review_date": (date.today() + timedelta(days=400)).isoformat()},
            "review_date",
            "within 12 months",
        ),
        ({"reasons": None}, "reasons", "Please answer"),
        ({"reasons": "  \n "}, "reasons", "Please answer"),
        ({"criteria": list(CRITERIA[:4])}, "criteria", "All five"),
        ({"criterion_access": ""}, "criterion_access", "Please answer"),
        ({"warning_given": "no", "no_warning_reason": None}, "no_warning_reason", "why no warning"),
        ({"shortcomings_addressed": None}, "shortcomings_addressed", "Say what was done about"),
        (
            {"restrictions": ["block_channels"], "blocked_channels": ["letter"]},
            "letter_channel",
            "closes letter",
        ),
        ({"restrictions": ["call_limit"], "call_minutes": None}, "call_minutes", "how long"),
        ({"restrictions": []}, "restrictions", "Please answer"),
        ({"incidents": ["99999"]}, "incidents", "Choose"),
    ],
)
async def test_validation_refusals_come_back_on_the_form(
    teams: TeamsWorld, overrides: dict[str, Any], field: str, message: str
) -> None:
    await teams.say(JO, "hi")
    again, _ = await propose(teams, **overrides)
    # The same form, with the message under its field and what was typed kept.
    assert buttons(again)[0]["verb"] == FormName.STRATEGY
    assert "Please correct the highlighted fields." in visible(again)
    assert message in error_under(again, field)
    assert value_of(again, "adjustments") == proposal()["adjustments"]
    async with teams.db.read() as session:
        assert (await session.execute(select(ContactStrategy))).first() is None
        assert (await session.execute(select(Authorisation))).first() is None


# -- who may do what --------------------------------------------------------------------

# (user, may propose, may decide a request Jo proposed)
MATRIX = [
    (SAM, False, False),  # staff
    (JO, True, False),  # manager, and the proposer of the request decided below
    (ALEX, True, True),  # authoriser (and manager)
    (BEA, True, True),  # another authoriser
    (CASEY, False, False),  # chief executive: not an authoriser unless nominated
    (STRANGER, False, False),  # not in the directory
]
REFUSALS = (
    "Only a manager or an authoriser",
    "Only an authoriser",
    "another authoriser must decide",
    "not in safecontact's staff directory",
)


@pytest.mark.parametrize(("user", "may_propose", "may_decide"), MATRIX)
async def test_permission_matrix(
    teams: TeamsWorld, user: str, may_propose: bool, may_decide: bool
) -> None:
    await teams.say(JO, "hi")
    card = await incident_card(teams)
    incident = await latest_incident(teams)
    propose_data = {"incident_id": incident.id}
    if may_propose:
        form = await teams.open_form(user, card, "Propose contact strategy")
        assert form["fallbackText"] == "Propose a strategy"
    else:
        text = await teams.refused(user, ActionId.PROPOSE_FROM_INCIDENT, propose_data)
        assert any(r in text for r in REFUSALS), text
        if user != STRANGER:
            said = await teams.say(user, f"strategy {await reference_of(teams)}")
            assert any(r in visible(said) for r in REFUSALS), visible(said)

    # A request Jo proposed, decided (or not) by this user.
    form = await teams.open_form(JO, card, "Propose contact strategy")
    await teams.submit(JO, form, answers_for(form, incident.id, restrictions=["call_limit"]))
    auth = await the_authorisation(teams)
    data = {"authorisation_id": auth.id}
    for verb in (ActionId.DENY, ActionId.ASK_CHANGES):
        if may_decide:
            _status, answer = await teams.invoke(user, verb, data)
            assert answer["type"] == MESSAGE and "I have sent you the form" in answer["value"]
        else:
            text = await teams.refused(user, verb, data)
            assert any(r in text for r in REFUSALS), text
    _status, answer = await teams.invoke(user, ActionId.APPROVE, data)
    async with teams.db.read() as session:
        status = (await session.get(Authorisation, auth.id)).status  # type: ignore[union-attr]
    if may_decide:
        assert status == "approved", answer
    else:
        assert status == "pending"
        assert any(r in answer["value"] for r in REFUSALS), answer


async def test_an_authoriser_who_proposed_is_not_asked_and_managers_are_told(
    teams: TeamsWorld,
) -> None:
    await everyone_opens(teams)
    strategy_answer, form = await propose(teams, ALEX, spoc=None, restrictions=["call_limit"])
    assert "has gone to Bea Khan to decide" in visible(strategy_answer)
    await teams.settle()
    # Alex proposed: only Bea is asked, and Alex cannot decide it even with a forged click.
    assert approval_cards(teams, ALEX) == []
    (card,) = approval_cards(teams, BEA)
    auth = await the_authorisation(teams)
    for verb in (ActionId.APPROVE, ActionId.DENY, ActionId.ASK_CHANGES):
        text = await teams.refused(ALEX, verb, {"authorisation_id": auth.id})
        assert text == OWN_REQUEST
    assert (await the_authorisation(teams)).status == "pending"
    await approve(teams, BEA, card.card)
    await teams.settle()
    # Nobody keeps to it before its letter is sent (s6, s7); then Sam's manager, Jo, is
    # told to keep to it too, as Sam reported the incident it rests on.
    assert teams.cards_to(JO, "now in force") == []
    async with teams.db.read() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
    await record_letter_sent(teams, ALEX, letter.id)
    (told,) = teams.cards_to(JO, "now in force")
    assert "It follows an incident one of your team reported." in visible(told.card)
    assert teams.cards_to(ALEX, "was approved")


# -- one decision, whatever arrives ---------------------------------------------------------


async def test_double_click_and_concurrent_decisions_give_one_decision(
    teams: TeamsWorld,
) -> None:
    await everyone_opens(teams)
    await propose(teams)
    await teams.settle()
    (alex_card,) = approval_cards(teams, ALEX)
    (bea_card,) = approval_cards(teams, BEA)
    deny_form = await teams.open_form(ALEX, alex_card.card, "Deny")
    assert deny_form["fallbackText"] == "Deny request"
    (show,) = [a for a in bea_card.card["actions"] if a["type"] == "Action.ShowCard"]
    # Bea double-clicks Approve while Alex denies with a reason, all at once.
    results = await asyncio.gather(
        teams.click(BEA, show["card"], CONFIRM),
        teams.click(BEA, show["card"], CONFIRM),
        teams.submit(ALEX, deny_form, {"decision_reason": "Not proportionate yet."}),
    )
    assert all(status == 200 for status, _ in results)
    texts = [
        visible(a["value"]) if a["type"] == CARD else str(a["value"]) for _status, a in results
    ]
    await teams.settle()
    auth = await the_authorisation(teams)
    async with teams.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        letters = (await session.execute(select(Letter))).scalars().all()
    assert auth.status in ("approved", "denied")
    assert strategy.status == ("approved" if auth.status == "approved" else "denied")
    assert len(letters) == (1 if auth.status == "approved" else 0)
    decider = "Bea Khan" if auth.status == "approved" else "Alex Morgan"
    label = "Approved" if auth.status == "approved" else "Denied"
    already = [t for t in texts if f"Already {label.lower()} by {decider} at" in t]
    assert len(already) == 2, texts  # the later two are told who decided and when
    # Every copy of the card shows the one decision, updated once, in place.
    for user, sent in ((ALEX, alex_card), (BEA, bea_card)):
        (update,) = teams.fake.updates_in(conversation(user))
        assert update.activity_id == sent.activity_id
        now = teams.now(user, str(sent.activity_id))
        # An approval says on what authority (s7); a denial names who denied it.
        authority = " (nominated by Casey Chief on 12 Jan 2026)" if label == "Approved" else ""
        assert f"{label} by {decider}{authority} at" in visible(now)
        assert buttons(now) == []
    # The proposer hears the outcome once.
    assert len(teams.cards_to(JO, "Your contact strategy")) == 1


async def test_forged_invokes_naming_other_requests(teams: TeamsWorld) -> None:
    await everyone_opens(teams)
    await propose(teams)  # R1, proposed by Jo
    await propose(teams, BEA, spoc=None, restrictions=["call_limit"])  # R2, by Bea
    await teams.settle()
    async with teams.db.read() as session:
        by_id = select(Authorisation).order_by(Authorisation.id)
        r1, r2 = (await session.execute(by_id)).scalars()
    approve_verb = ActionId.APPROVE
    # Sam (staff) forges an Approve for Jo's request, Bea one for her own, and ids that
    # name nothing or are not ids at all.
    for user, data, expected in (
        (SAM, {"authorisation_id": r1.id}, "Only an authoriser"),
        (BEA, {"authorisation_id": r2.id}, "another authoriser must decide"),
        (BEA, {"authorisation_id": r2.id + 1000}, "That request could not be found."),
        (BEA, {"authorisation_id": "not-a-number"}, "This button's details are malformed."),
        (BEA, {}, "This button's details are malformed."),
        (STRANGER, {"authorisation_id": r1.id}, "not in safecontact's staff directory"),
    ):
        text = await teams.refused(user, approve_verb, data)
        assert expected in text, (user, data, text)
    # Bea opens the Deny form for Jo's request, then edits its hidden details to name her
    # own: the rules are checked against the request it names, from the database.
    (card,) = [
        c
        for c in approval_cards(teams, BEA)
        if c.card["actions"][1]["data"] == {"authorisation_id": r1.id}
    ]
    form = await teams.open_form(BEA, card.card, "Deny")
    (submit,) = buttons(form)
    assert submit["data"]["_context"] == {"authorisation_id": r1.id, "decision": "deny"}
    for context, expected in (
        ({"authorisation_id": r2.id, "decision": "deny"}, "another authoriser must decide"),
        ({"authorisation_id": r1.id, "decision": "approve"}, "not a decision that needs"),
        ({"authorisation_id": str(r1.id), "decision": "deny"}, "could not be found"),
    ):
        forged = {**submit["data"], "_context": context, "decision_reason": "Self-serving."}
        status, answer = await teams.invoke(BEA, submit["verb"], forged)
        assert status == 200 and expected in visible(answer["value"]), visible(answer["value"])
    async with teams.db.read() as session:
        statuses = [a.status for a in (await session.execute(select(Authorisation))).scalars()]
    assert statuses == ["pending", "pending"]
    # A form whose hidden details are not even an object is refused, not a 5xx.
    status, answer = await teams.invoke(BEA, submit["verb"], {"_context": "x"})
    assert status == 200 and "hidden details are malformed" in visible(answer["value"])


async def test_ask_for_changes_then_edit_and_resubmit_keeps_history(teams: TeamsWorld) -> None:
    await everyone_opens(teams)
    await propose(teams)
    await teams.settle()
    (card,) = approval_cards(teams, BEA)
    form = await teams.open_form(BEA, card.card, "Ask for changes")
    assert form["fallbackText"] == "Ask for changes"
    _status, answer = await teams.submit(BEA, form, {"decision_reason": ""})
    assert "Please answer this question." in visible(answer["value"])  # a reason is required
    _status, answer = await teams.submit(
        BEA, form, {"decision_reason": "Please consider an **advocate** instead."}
    )
    assert "Sent back for changes" in visible(answer["value"])
    await teams.settle()
    (notice,) = teams.cards_to(JO, "sent back")
    assert "Please consider an **advocate** instead." in visible(notice.card)
    (revise,) = buttons(notice.card)
    assert revise["title"] == "Edit and resubmit" and revise["verb"] == ActionId.REVISE_STRATEGY
    form = await teams.open_form(JO, notice.card, "Edit and resubmit")
    assert value_of(form, "reasons").startswith("Repeated abusive calls")  # prefilled
    incidents = value_of(form, "incidents")
    answers = proposal(
        restrictions=["advocate_only"],
        advocate_name="Chris Advocate",
        advocate_contact="01234 567890",
        incidents=incidents.split(","),
    )
    _status, answer = await teams.submit(JO, form, answers)
    assert "Proposal sent" in visible(answer["value"]), visible(answer["value"])
    await teams.settle()
    async with teams.db.read() as session:
        strategies = (
            (await session.execute(select(ContactStrategy).order_by(ContactStrategy.id)))
            .scalars()
            .all()
        )
        auths = (
            (await session.execute(select(Authorisation).order_by(Authorisation.id)))
            .scalars()
            .all()
        )
    assert [s.status for s in strategies] == ["draft", "pending"]
    assert strategies[1].revision_of_id == strategies[0].id
    assert [a.status for a in auths] == ["changes_requested", "pending"]
    # The authorisers see it is a revision; the first card shows it was sent back.
    revised = [c for c in approval_cards(teams, ALEX) if "revised proposal" in visible(c.card)]
    assert len(revised) == 1
    first = teams.now(ALEX, str(approval_cards(teams, ALEX)[0].activity_id))
    assert "Changes requested by Bea Khan at" in visible(first)
    # The same proposal cannot be resubmitted twice.
    text = await teams.refused(JO, ActionId.REVISE_STRATEGY, revise["data"])
    assert "already resubmitted" in text


# -- partner-agency sharing (s7.1) ---------------------------------------------------------


SHARE = {
    "agency": "Adult Social Care",
    "what": "The contact strategy and its review date.",
    "sharing_reason": "safeguarding",
    "consent": "no",
}


async def sharing_form(teams: TeamsWorld, user: str) -> dict[str, Any]:
    case = await teams.say(user, f"case {await reference_of(teams)}")
    form = await teams.open_form(user, case, "Request to share with a partner agency")
    assert form["fallbackText"] == "Share with an agency"
    return form


async def test_sharing_approved_then_disclosure_logged(teams: TeamsWorld) -> None:
    await everyone_opens(teams)
    await incident_card(teams)
    form = await sharing_form(teams, SAM)
    _status, answer = await teams.submit(SAM, form, {**SHARE, "sharing_reason": "other"})
    assert visible(answer["value"]).count("Explain the legitimate reason.") == 1
    _status, answer = await teams.submit(SAM, form, SHARE)
    assert "Don't share anything until it is approved" in visible(answer["value"])
    await teams.settle()
    (card,) = teams.cards_to(BEA, "Request to share")
    assert "no consent" in visible(card.card) and "Adult Social Care" in visible(card.card)
    assert len(teams.cards_to(ALEX, "Request to share")) == 1
    auth = await the_authorisation(teams)
    assert auth.kind == "sharing"
    assert (await approve(teams, BEA, card.card)).startswith("Approved")
    await teams.settle()
    for user in (ALEX, BEA):
        now = teams.now(user, str(teams.cards_to(user, "Request to share")[0].activity_id))
        assert "Approved by Bea Khan" in visible(now) and buttons(now) == []
    (notice,) = teams.cards_to(SAM, "was approved")
    assert "record each disclosure you make" in visible(notice.card)
    form = await teams.open_form(SAM, notice.card, "Record a disclosure")
    future = (date.today() + timedelta(days=3)).isoformat()
    note = "Emailed the strategy summary to the duty social worker."
    _status, answer = await teams.submit(
        SAM, form, {"disclosed_on": future, "disclosure_note": note}
    )
    assert "This date is in the future." in visible(answer["value"])
    _status, answer = await teams.submit(
        SAM, form, {"disclosed_on": date.today().isoformat(), "disclosure_note": note}
    )
    assert "Disclosure recorded in the case file." in visible(answer["value"])
    async with teams.db.read() as session:
        disclosure = (await session.execute(select(Disclosure))).scalar_one()
        request = (await session.execute(select(SharingRequest))).scalar_one()
    assert disclosure.sharing_request_id == request.id and "duty social worker" in disclosure.note
    # Only the requester records disclosures against their request.
    text = await teams.refused(JO, ActionId.RECORD_DISCLOSURE, {"sharing_request_id": request.id})
    assert "could not be found among yours" in text


async def test_sharing_denied_and_no_disclosure_possible(teams: TeamsWorld) -> None:
    await everyone_opens(teams)
    await incident_card(teams)
    form = await sharing_form(teams, SAM)
    await teams.submit(
        SAM,
        form,
        {**SHARE, "agency": "Local newspaper", "sharing_reason": "other", "explanation": "Asked"},
    )
    await teams.settle()
    (card,) = teams.cards_to(ALEX, "Request to share")
    deny = await teams.open_form(ALEX, card.card, "Deny")
    _status, answer = await teams.submit(
        ALEX, deny, {"decision_reason": "No legitimate reason (s7.1)."}
    )
    assert "Denied" in visible(answer["value"])
    await teams.settle()
    (notice,) = teams.cards_to(SAM, "was denied")
    assert "No legitimate reason (s7.1)." in visible(notice.card)
    assert buttons(notice.card) == []
    async with teams.db.read() as session:
        request = (await session.execute(select(SharingRequest))).scalar_one()
    text = await teams.refused(SAM, ActionId.RECORD_DISCLOSURE, {"sharing_request_id": request.id})
    assert "has not been approved" in text
    for user in (ALEX, BEA):
        now = teams.now(user, str(teams.cards_to(user, "Request to share")[0].activity_id))
        assert "Denied by Alex Morgan" in visible(now)


# -- the command --------------------------------------------------------------------------


async def test_strategy_command(teams: TeamsWorld) -> None:
    await teams.say(JO, "hi")
    await incident_card(teams)
    reference = await reference_of(teams)
    for text in (f"strategy {reference}", f"/STRATEGY {reference.lower()}", "Strategy Morgan"):
        form = await teams.say(JO, text)
        assert form["fallbackText"] == "Propose a strategy", (text, visible(form))
    for user, text, expected in (
        (JO, "strategy", "Tell me who it is about: `/strategy SC-2026-00042`."),
        (JO, "strategy SC-1999-99999", "No one on file matches 'SC-1999-99999'."),
        (SAM, f"strategy {reference}", "Only a manager or an authoriser"),
    ):
        assert expected in visible(await teams.say(user, text))
    # Once a strategy is in force, changes go through a review instead.
    await teams.say(BEA, "hi")
    strategy = await put_in_force(teams)
    said = visible(await teams.say(JO, f"strategy {await reference_of(teams, strategy.person_id)}"))
    assert "already in force" in said and "start a review" in said


# -- across platforms ---------------------------------------------------------------------


async def test_slack_proposer_with_a_teams_only_authoriser(fresh_db_url: str) -> None:
    """Jo proposes on Slack; Bea, an authoriser only on Teams, gets the card there and
    approves it; Alex's Slack copy and Bea's Teams copy both show the one decision."""
    bea = "aad-bea-only"
    directory = [
        e.model_copy(update={"teams_user_id": bea, "slack_user_id": None})
        if e.email == "bea@example.org"
        else e
        for e in SLACK_DIRECTORY
    ]
    fake_slack, connector = FakeSlack(), FakeConnector()
    api_url = await fake_slack.start()
    await connector.start()
    settings = Settings(
        database_url=fresh_db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        staff=directory,
    )
    url, runtime, cleanup = await start_server(settings, dev=True)
    http = aiohttp.ClientSession()
    slack = SlackWorld(url, fake_slack, runtime.db, runtime, http)
    teams = TeamsWorld(url, connector, runtime.db, runtime, http)
    try:
        await teams.say(bea, "hello")  # Bea has the Teams app
        view = await _slack_incident_then_proposal(slack)
        answers = proposal()
        answers["spoc"] = slack_spoc_value(view, "Sam Patel")
        async with runtime.db.read() as session:
            incident = (await session.execute(select(Incident))).scalar_one()
        answers["incidents"] = [str(incident.id)]
        status, ack = await slack.submit("U0JO", view, answers)
        assert status == 200 and ack["response_action"] == "update", ack
        await slack.settle()

        # Bea's card arrives in Teams, proactively; Alex's in Slack.
        (card,) = [
            c for c in connector.sends_to(f"a:personal-{bea}") if APPROVAL in c.card["fallbackText"]
        ]
        assert_valid_card(card.card)
        assert "Requested by: Jo Reed" in visible(card.card)
        alex = [p for p in fake_slack.posts_to("U0ALEX") if "for approval" in p["text"]]
        assert len(alex) == 1
        # Nothing for Bea went to Slack: Sam's receipt and check-in, Jo's incident card and
        # Alex's approval card are all Slack posted.
        slack_channels = {p["channel"] for p in fake_slack.calls_to("chat.postMessage")}
        assert slack_channels == {dm("U0SAM"), dm("U0JO"), dm("U0ALEX")}

        assert (await approve(teams, bea, card.card)).startswith("Approved: SC-")
        await slack.settle()
        # Bea's Teams card, updated in place.
        (update,) = connector.updates_in(f"a:personal-{bea}")
        assert update.activity_id == card.activity_id
        assert (
            "Approved by Bea Khan (nominated by Casey Chief on 12 Jan 2026) at"
            in visible(update.card)
            and buttons(update.card) == []
        )
        # Alex's Slack card, updated in place too (chat.update on its ts).
        (slack_update,) = [
            u for u in fake_slack.calls_to("chat.update") if u["channel"] == dm("U0ALEX")
        ]
        assert "Approved* by Bea Khan" in str(slack_update["blocks"])
        assert ActionId.APPROVE not in str(slack_update["blocks"])
        # Jo, on Slack, gets the outcome and the letter as a file there.
        assert any("was approved" in p["text"] for p in fake_slack.posts_to("U0JO"))
        uploads = fake_slack.calls_to("files.completeUploadExternal")
        assert [u["channel_id"] for u in uploads] == [dm("U0JO")]
        async with runtime.db.read() as session:
            strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        assert strategy.status == "approved"  # in force once its letter is sent (s6, s7)
        teams.assert_all_cards_valid()
    finally:
        await http.close()
        await cleanup()
        await connector.stop()
        await fake_slack.stop()


async def _slack_incident_then_proposal(slack: SlackWorld) -> dict[str, Any]:
    """Sam reports on Slack; Jo opens the proposal from his card there."""
    from tests.e2e.test_slack_incident import answers as slack_answers

    await slack.command("U0SAM", "/incident")
    view = await slack.eventually(lambda: slack.fake.calls_to("views.open") and slack.last_view())
    _, ack = await slack.submit("U0SAM", view, slack_answers())
    assert ack["response_action"] == "update", ack
    await slack.settle()
    async with slack.db.read() as session:
        incident = (await session.execute(select(Incident))).scalar_one()
    return await open_slack_proposal(slack, "U0JO", incident.id)
