"""Contact strategies on Slack: propose, authorise on cards, letters, sharing (s7, s7.1)."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.settings import StaffEntry
from cards.ids import ActionId
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
from tests.e2e.test_slack_actions import report
from tests.e2e.test_slack_incident import answers, assert_valid_message, assert_valid_view
from tests.notice_support import letter_cards, record_letter_sent
from tests.slack_harness import DIRECTORY, SlackWorld

CRITERIA = ("addressed", "communication", "access", "misunderstandings", "proportionate")


def proposal(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "restrictions": ["single_method", "call_limit", "spoc"],
        "contact_method": "letter",
        "call_minutes": "10",
        "reasons": "Repeated abusive calls <b>despite</b> a written warning & a verbal one.",
        "public_summary": "You have been abusive to our staff on the telephone, after we warned "
        "you in writing. We are limiting how you can contact us for a while.",
        # s6: "warned first" only with a warning on file as given; the tests that say yes
        # record one first (`propose(..., warned=True)`).
        "warning_given": "no",
        "no_warning_reason": "An immediate risk to staff: threats made on the phone.",
        # s4: the reports answer No to "communicated regularly"; say what was done.
        "shortcomings_addressed": "We now write every two weeks with an update.",
        "adjustments": "Letters in large print; they may bring a friend to any meeting.",
        "criteria": list(CRITERIA),
        "review_date": (date.today() + timedelta(days=90)).isoformat(),
        "letter_channel": "letter",
        "letter_format": "standard",
        **{f"criterion_{c}": f"Checked {c} with the case file." for c in CRITERIA},
    }
    values.update(overrides)
    return values


async def open_proposal(slack: SlackWorld, user: str, incident_id: int) -> dict[str, Any]:
    view = await slack.form_behind(user, ActionId.PROPOSE_FROM_INCIDENT, incident_id)
    assert_valid_view(view)
    assert view["callback_id"] == "strategy"
    return view


def spoc_value(view: dict[str, Any], name: str) -> str:
    block = next(b for b in view["blocks"] if b.get("block_id") == "spoc")
    return next(o["value"] for o in block["element"]["options"] if o["text"]["text"] == name)


async def fresh_report(slack: SlackWorld, **overrides: Any) -> Any:
    """Sam reports again, on a form opened for this report (not the last view opened)."""
    view = await slack.form_for("U0SAM", "/incident")
    await slack.submit("U0SAM", view, answers(**overrides))
    await slack.settle()
    async with slack.db.read() as session:
        return (await session.execute(select(Incident).order_by(Incident.id.desc()))).scalar()


async def verbal_warning(slack: SlackWorld, incident: Any, *, given_on: date | None = None) -> None:
    """Jo records a verbal warning from the incident card (s6): it counts once recorded."""
    view = await slack.form_behind("U0JO", ActionId.RECORD_WARNING, incident.id)
    when = (given_on or date.today()).isoformat()
    await slack.submit(
        "U0JO",
        view,
        {"warning_kind": "verbal", "given_on": when, "behaviour_to_change": "Speak calmly."},
    )
    await slack.settle()


async def propose(
    slack: SlackWorld,
    user: str = "U0JO",
    reported: dict[str, Any] | None = None,
    *,
    warned: bool = False,
    **overrides: Any,
) -> tuple[dict[str, Any], Any]:
    """Report, then propose from the incident card; `warned`: a verbal warning recorded
    first, and the proposal says they were warned first (s6)."""
    incident = await (fresh_report(slack, **reported) if reported else report(slack))
    if warned:
        await verbal_warning(slack, incident)
        overrides = {"warning_given": "yes", **overrides}
    view = await open_proposal(slack, user, incident.id)
    answers = proposal(**overrides)
    if "spoc" in answers["restrictions"] and "spoc" not in overrides:
        answers["spoc"] = spoc_value(view, "Sam Patel")
    incident_block = next(b for b in view["blocks"] if b.get("block_id") == "incidents")
    assert incident_block["element"]["initial_options"][0]["value"] == str(incident.id)
    answers.setdefault("incidents", [str(incident.id)])
    status, ack = await slack.submit(user, view, answers)
    assert status == 200
    return ack, incident


async def authorisation_cards(slack: SlackWorld, user: str) -> list[dict[str, Any]]:
    return [p for p in slack.fake.posts_to(user) if "Contact strategy for approval" in p["text"]]


async def test_propose_approve_activate_and_tell_everyone(slack: SlackWorld) -> None:
    ack, _ = await propose(slack, warned=True)
    assert ack["response_action"] == "update", ack
    assert "Alex Morgan and Bea Khan" in json.dumps(ack["view"])
    await slack.settle()
    # Every authoriser gets the card, with the evidence they must weigh.
    for user in ("U0ALEX", "U0BEA"):
        cards = await authorisation_cards(slack, user)
        assert len(cards) == 1
        assert_valid_message(cards[0])
        text = json.dumps(cards[0]["blocks"])
        assert "Contact only by letter" in text and "Phone calls limited to 10 minutes" in text
        assert "Single point of contact: Sam Patel" in text
        assert "The matter raised is being, or has been, considered" in text
        assert "Checked proportionate with the case file." in text
        # s6: what the file holds, not the proposer's word.
        today = f"{date.today():%d %b %Y}"
        assert f"Warned first. On file as given: verbal warning, {today}." in text
        # s4: the report's No comes first, with what was done about it, set apart.
        assert "*Shortcomings first (s4)*\\n:warning: Report of" in text
        assert "No to \\u201cHave we communicated regularly and effectively?\\u201d" in text
        assert "What was done: We now write every two weeks with an update." in text
        assert "Letters in large print" in text
        assert "Incident " in text  # the person's history
        assert "&lt;b&gt;despite&lt;/b&gt;" in text
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
    assert auth.status == "pending" and strategy.status == "pending"

    await slack.click("U0BEA", ActionId.APPROVE, str(auth.id))
    reply = await slack.eventually(
        lambda: [r for r in slack.fake.responses if "Approved" in r["text"]], what="approval"
    )
    assert "SC-" in reply[0]["text"]
    await slack.eventually(lambda: len(slack.fake.calls_to("chat.update")) >= 2, what="updates")
    await slack.settle()
    # s7: on what authority it was approved, as the staff directory records it.
    decided = [u for u in slack.fake.calls_to("chat.update") if "for approval" in u["text"]][-1]
    assert "Bea Khan (nominated by Casey Chief on 12 Jan 2026)" in json.dumps(decided["blocks"])

    async with slack.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        auth = (await session.execute(select(Authorisation))).scalar_one()
        letter = (await session.execute(select(Letter))).scalar_one()
        job_kinds = (await session.execute(select(ScheduledJob.kind))).scalars().all()
    # Approved is not in force (s6, s7): nothing is restricted until the letter is sent.
    assert strategy.status == "approved" and strategy.activated_at is None
    assert auth.status == "approved" and auth.decided_by_id is not None
    assert "review_reminder" not in job_kinds and "letter_unsent" in job_kinds
    assert letter.strategy_id == strategy.id and letter.send_by == "letter"
    assert letter.sent_on is None
    # Both authorisers' cards now show the decision, with no buttons left.
    updates = slack.fake.calls_to("chat.update")
    decided = [u for u in updates if "Approved* by Bea Khan" in json.dumps(u["blocks"])]
    assert {u["channel"] for u in decided} == {"D0ALEX", "D0BEA"}
    assert all(ActionId.APPROVE not in json.dumps(u["blocks"]) for u in decided)
    # The proposer gets the outcome and the letter, with its card to record it sent.
    jo = slack.fake.posts_to("U0JO")
    approved = [p for p in jo if "was approved" in p["text"]]
    assert approved and "not yet in force" in json.dumps(approved[0]["blocks"])
    uploads = slack.fake.calls_to("files.completeUploadExternal")
    assert [u["channel_id"] for u in uploads] == ["D0JO"]
    card = letter_cards(slack, "U0JO", letter.id)
    assert_valid_message(card[0])
    assert "not in force" in json.dumps(card[0]["blocks"])
    # The SPOC is not told to restrict anything yet.
    assert not [p for p in slack.fake.posts_to("U0SAM") if "now in force" in p["text"]]

    ack = await record_letter_sent(slack, "U0JO", letter.id, method="post")
    assert ack["response_action"] == "update", ack
    assert "now in force" in json.dumps(ack["view"])
    async with slack.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        letter = (await session.execute(select(Letter))).scalar_one()
        job_kinds = (await session.execute(select(ScheduledJob.kind))).scalars().all()
    assert strategy.status == "active" and strategy.activated_at is not None
    assert letter.sent_on == date.today() and letter.sent_method == "post"
    assert job_kinds.count("review_reminder") == 3  # 14 days, 3 days and on the day
    assert "review_overdue" in job_kinds
    # The letter's card now shows its sending record, with no button left.
    await slack.eventually(
        lambda: [
            u
            for u in slack.fake.calls_to("chat.update")
            if "Sent by post on" in json.dumps(u["blocks"])
        ],
        what="the letter card updated",
    )
    sam = await slack.eventually(
        lambda: [p for p in slack.fake.posts_to("U0SAM") if "now in force" in p["text"]],
        what="the SPOC told",
    )
    assert "single point of contact" in json.dumps(sam[0]["blocks"])
    # /case now shows the restrictions to any staff member (s7.1).
    await slack.command("U0NIA", "/case", (await _reference(slack)))
    case = await slack.eventually(
        lambda: [
            r
            for r in slack.fake.responses
            if r.get("response_type") == "ephemeral" and "Case" in r["text"]
        ],
        what="case",
    )
    text = json.dumps(case[-1]["blocks"])
    assert "Contact strategy in force" in text and "Contact only by letter" in text
    assert text.count("Single point of contact") == 1  # once, not twice (issue 12)
    assert "Single point of contact: Sam Patel" in text


async def _reference(slack: SlackWorld) -> str:
    async with slack.db.read() as session:
        return (await session.execute(select(Person.reference))).scalar_one()


async def test_letter_says_everything_the_policy_requires(slack: SlackWorld) -> None:
    await propose(slack, restrictions=["block_channels"], blocked_channels=["telephone"])
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    await slack.click("U0ALEX", ActionId.APPROVE, str(auth.id))
    await slack.eventually(lambda: slack.fake.calls_to("files.completeUploadExternal"))
    async with slack.db.read() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
    for body in (letter.html, letter.text):
        flat = " ".join(body.split())
        assert "your behaviour towards our office has been unacceptable or unreasonable" in flat
        assert "Blocked: telephone" in flat  # what the restrictions are
        assert "You can still contact us by: letter, email, in person" in flat
        assert "dealt with promptly and correctly" in flat
        assert "could get in the way of us handling your matter" in flat
        assert "This only affects how you contact our office" in flat
        assert "call 999 in an emergency, or 101" in flat
        assert "You can still contact us about any other matter" in flat
        assert "We will review these arrangements" in flat
        assert "write to our Chief Executive" in flat  # s7.3
        # s7: no policy document is configured here, so none is claimed as enclosed.
        assert "enclosed" not in flat and "Please ask us and we will send you a copy" in flat
        assert "in another format" in flat
        assert "Sent by" not in flat
        assert flat.index("Our reference:") < flat.index("Dear ")
    # The internal reasons from the form never reach the letter (issue 14).
    assert "despite" not in letter.html + letter.text


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
async def test_validation_refusals(
    slack: SlackWorld, overrides: dict[str, Any], field: str, message: str
) -> None:
    ack, _ = await propose(slack, **overrides)
    assert ack["response_action"] == "errors", ack
    assert field in ack["errors"], ack["errors"]
    assert message in ack["errors"][field]
    async with slack.db.read() as session:
        assert (await session.execute(select(ContactStrategy))).first() is None
        assert (await session.execute(select(Authorisation))).first() is None


# Who may do what: (user, may propose, may decide a request Jo proposed).
MATRIX = [
    ("U0SAM", False, False),  # staff
    ("U0JO", True, False),  # manager, and the proposer of the request decided below
    ("U0ALEX", True, True),  # authoriser (and manager)
    ("U0BEA", True, True),  # another authoriser (senior staff may propose too)
    ("U0CASEY", False, False),  # chief executive: not an authoriser unless nominated
    ("U0STRANGER", False, False),  # not in the directory
]


@pytest.mark.parametrize(("user", "may_propose", "may_decide"), MATRIX)
async def test_permission_matrix(
    slack: SlackWorld, user: str, may_propose: bool, may_decide: bool
) -> None:
    incident = await report(slack)
    await slack.click(user, ActionId.PROPOSE_FROM_INCIDENT, str(incident.id))
    if may_propose:
        await slack.eventually(lambda: slack.fake.calls_to("views.open")[1:], what="form")
    else:
        reply = await slack.eventually(lambda: slack.fake.responses, what="refusal")
        assert (
            "Only a manager or an authoriser" in reply[-1]["text"]
            or "not in safecontact's staff directory" in reply[-1]["text"]
        )
        assert slack.fake.calls_to("views.open")[1:] == []

    # A request Jo proposed, decided (or not) by this user.
    view = await open_proposal(slack, "U0JO", incident.id)
    answers = proposal(restrictions=["call_limit"])
    answers["incidents"] = [str(incident.id)]
    await slack.submit("U0JO", view, answers)
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    responses = len(slack.fake.responses)
    await slack.click(user, ActionId.APPROVE, str(auth.id))
    reply = await slack.eventually(lambda: slack.fake.responses[responses:], what="decision reply")
    async with slack.db.read() as session:
        status = (await session.get(Authorisation, auth.id)).status
    if may_decide:
        assert status == "approved", reply[0]["text"]
    else:
        assert status == "pending"
        assert any(
            phrase in reply[0]["text"]
            for phrase in (
                "Only an authoriser",
                "another authoriser must decide",
                "not in safecontact's staff directory",
            )
        ), reply[0]["text"]


async def test_authoriser_cannot_decide_own_proposal(slack: SlackWorld) -> None:
    ack, _ = await propose(slack, user="U0ALEX")
    assert ack["response_action"] == "update"
    await slack.settle()
    # Alex proposed: only Bea is asked.
    assert await authorisation_cards(slack, "U0ALEX") == []
    assert len(await authorisation_cards(slack, "U0BEA")) == 1
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    for action in (ActionId.APPROVE, ActionId.DENY):
        await slack.click("U0ALEX", action, str(auth.id))
    await slack.eventually(lambda: len(slack.fake.responses) >= 2)
    assert all("another authoriser must decide" in r["text"] for r in slack.fake.responses)
    async with slack.db.read() as session:
        assert (await session.get(Authorisation, auth.id)).status == "pending"


async def test_double_click_and_concurrent_decisions_give_one_decision(
    slack: SlackWorld,
) -> None:
    await propose(slack)
    await slack.settle()
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    # Bea double-clicks Approve while Alex denies with a reason, all at once.
    await slack.click("U0ALEX", ActionId.DENY, str(auth.id))
    deny_view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[2:] and slack.last_view(), what="deny form"
    )
    results = await asyncio.gather(
        slack.click("U0BEA", ActionId.APPROVE, str(auth.id)),
        slack.click("U0BEA", ActionId.APPROVE, str(auth.id)),
        slack.submit("U0ALEX", deny_view, {"decision_reason": "Not proportionate yet."}),
    )
    assert all(status == 200 for status, _ in results)
    await slack.eventually(lambda: len(slack.fake.responses) >= 2, what="replies")
    await slack.settle()
    async with slack.db.read() as session:
        auth = await session.get(Authorisation, auth.id)
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
        letters = (await session.execute(select(Letter))).scalars().all()
    assert auth.status in ("approved", "denied")
    assert strategy.status == ("approved" if auth.status == "approved" else "denied")
    assert len(letters) == (1 if auth.status == "approved" else 0)
    already = [r for r in slack.fake.responses if r["text"].startswith("Already")]
    assert already, "the later clicks are told who decided and when"
    # Every copy of the card shows the one decision.
    last_by_channel: dict[str, dict[str, Any]] = {}
    for u in slack.fake.calls_to("chat.update"):
        if "Incident report" not in u["text"]:  # Jo's incident card changes too (Propose)
            last_by_channel[u["channel"]] = u
    label = "Approved" if auth.status == "approved" else "Denied"
    assert set(last_by_channel) == {"D0ALEX", "D0BEA"}
    assert all(f"*{label}* by" in json.dumps(u["blocks"]) for u in last_by_channel.values())


async def test_forged_payloads_naming_other_requests(slack: SlackWorld) -> None:
    await propose(slack)  # R1, proposed by Jo
    # R2, proposed by Bea (an authoriser may propose), about someone else: one person has
    # one proposal waiting at a time (issue 12 item 7).
    await propose(slack, user="U0BEA", reported={"new_person_name": "Robin Other"})
    async with slack.db.read() as session:
        by_id = select(Authorisation).order_by(Authorisation.id)
        r1, r2 = (await session.execute(by_id)).scalars()
    # Sam (staff) forges an Approve for Jo's request, Bea one for her own, and ids that
    # name nothing.
    await slack.click("U0SAM", ActionId.APPROVE, str(r1.id))
    await slack.click("U0BEA", ActionId.APPROVE, str(r2.id))
    await slack.click("U0BEA", ActionId.APPROVE, str(r2.id + 1000))
    await slack.click("U0BEA", ActionId.APPROVE, "not-a-number")
    await slack.eventually(lambda: len(slack.fake.responses) >= 4)
    texts = [r["text"] for r in slack.fake.responses]
    assert any("another authoriser must decide" in t for t in texts)
    assert any("Only an authoriser" in t for t in texts)
    assert any("could not be found" in t for t in texts)
    assert any("malformed" in t for t in texts)
    # Bea opens the Deny form for Jo's request, then edits its hidden details to name her own.
    await slack.click("U0BEA", ActionId.DENY, str(r1.id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[4:] and slack.last_view(), what="deny form"
    )
    forged = {
        **view,
        "private_metadata": json.dumps({"authorisation_id": r2.id, "decision": "deny"}),
    }
    status, ack = await slack.submit("U0BEA", forged, {"decision_reason": "Self-serving."})
    assert status == 200 and ack["response_action"] == "update"
    assert "another authoriser must decide" in json.dumps(ack["view"])
    async with slack.db.read() as session:
        statuses = [a.status for a in (await session.execute(select(Authorisation))).scalars()]
    assert statuses == ["pending", "pending"]


async def test_ask_for_changes_then_resubmit_keeps_history(slack: SlackWorld) -> None:
    await propose(slack)
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    await slack.click("U0BEA", ActionId.ASK_CHANGES, str(auth.id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[2:] and slack.last_view(), what="form"
    )
    status, ack = await slack.submit(
        "U0BEA", view, {"decision_reason": "Please consider an advocate instead."}
    )
    assert ack["response_action"] == "update"
    await slack.settle()
    notice = next(p for p in slack.fake.posts_to("U0JO") if "sent back" in p["text"])
    assert "Please consider an advocate instead." in json.dumps(notice["blocks"])
    revise = next(e for b in notice["blocks"] if b["type"] == "actions" for e in b["elements"])
    await slack.click("U0JO", ActionId.REVISE_STRATEGY, revise["value"])
    form = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[3:] and slack.last_view(), what="revise form"
    )
    reasons = next(b for b in form["blocks"] if b.get("block_id") == "reasons")
    assert "Repeated abusive calls" in reasons["element"]["initial_value"]  # prefilled
    answers = proposal(
        restrictions=["advocate_only"],
        advocate_name="Chris Advocate",
        advocate_contact="01234 567890",
    )
    incidents = next(b for b in form["blocks"] if b.get("block_id") == "incidents")
    answers["incidents"] = [o["value"] for o in incidents["element"]["initial_options"]]
    status, ack = await slack.submit("U0JO", form, answers)
    assert ack["response_action"] == "update", ack
    async with slack.db.read() as session:
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
    assert auths[0].decision_reason == "Please consider an advocate instead."
    # The same proposal cannot be resubmitted twice.
    await slack.click("U0JO", ActionId.REVISE_STRATEGY, revise["value"])
    await slack.eventually(
        lambda: any("already resubmitted" in r["text"] for r in slack.fake.responses)
    )


async def test_sharing_approved_then_disclosure_logged(slack: SlackWorld) -> None:
    incident = await report(slack)
    await slack.click("U0SAM", ActionId.REQUEST_SHARING, str(incident.person_id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[1:] and slack.last_view(), what="form"
    )
    assert_valid_view(view)
    status, ack = await slack.submit(
        "U0SAM",
        view,
        {
            "agency": "Adult Social Care",
            "what": "The contact strategy and its review date.",
            "sharing_reason": "safeguarding",
            "consent": "no",
        },
    )
    assert ack["response_action"] == "update", ack
    await slack.settle()
    card = next(p for p in slack.fake.posts_to("U0BEA") if "Request to share" in p["text"])
    assert_valid_message(card)
    assert "no consent" in json.dumps(card["blocks"])
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    assert auth.kind == "sharing"
    await slack.click("U0BEA", ActionId.APPROVE, str(auth.id))
    notice = await slack.eventually(
        lambda: [p for p in slack.fake.posts_to("U0SAM") if "was approved" in p["text"]],
        what="approval notice",
    )
    button = next(e for b in notice[0]["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == ActionId.RECORD_DISCLOSURE
    await slack.click("U0SAM", ActionId.RECORD_DISCLOSURE, button["value"])
    form = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[2:] and slack.last_view(), what="form"
    )
    status, ack = await slack.submit(
        "U0SAM",
        form,
        {
            "disclosed_on": date.today().isoformat(),
            "disclosure_note": "Emailed the strategy summary to the duty social worker.",
        },
    )
    assert ack["response_action"] == "update", ack
    async with slack.db.read() as session:
        disclosure = (await session.execute(select(Disclosure))).scalar_one()
        request = (await session.execute(select(SharingRequest))).scalar_one()
    assert disclosure.sharing_request_id == request.id
    assert "duty social worker" in disclosure.note


async def test_sharing_denied_and_no_disclosure_possible(slack: SlackWorld) -> None:
    incident = await report(slack)
    await slack.click("U0SAM", ActionId.REQUEST_SHARING, str(incident.person_id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[1:] and slack.last_view()
    )
    status, ack = await slack.submit(
        "U0SAM",
        view,
        {
            "agency": "Local newspaper",
            "what": "Everything",
            "sharing_reason": "other",
            "explanation": "They asked",
            "consent": "no",
        },
    )
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    await slack.click("U0ALEX", ActionId.DENY, str(auth.id))
    form = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[2:] and slack.last_view()
    )
    status, ack = await slack.submit(
        "U0ALEX", form, {"decision_reason": "No legitimate reason (s7.1)."}
    )
    await slack.settle()
    notice = next(p for p in slack.fake.posts_to("U0SAM") if "was denied" in p["text"])
    assert "No legitimate reason" in json.dumps(notice["blocks"])
    async with slack.db.read() as session:
        request = (await session.execute(select(SharingRequest))).scalar_one()
    await slack.click("U0SAM", ActionId.RECORD_DISCLOSURE, str(request.id))
    await slack.eventually(
        lambda: any("has not been approved" in r["text"] for r in slack.fake.responses)
    )


async def test_other_explanation_required(slack: SlackWorld) -> None:
    incident = await report(slack)
    await slack.click("U0SAM", ActionId.REQUEST_SHARING, str(incident.person_id))
    view = await slack.eventually(
        lambda: slack.fake.calls_to("views.open")[1:] and slack.last_view()
    )
    status, ack = await slack.submit(
        "U0SAM",
        view,
        {
            "agency": "X",
            "what": "Y",
            "sharing_reason": "other",
            "consent": "yes",
        },
    )
    assert ack["errors"] == {"explanation": "Explain the legitimate reason."}


async def test_no_second_strategy_while_one_is_in_force(slack: SlackWorld) -> None:
    _, incident = await propose(slack)
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    await slack.click("U0BEA", ActionId.APPROVE, str(auth.id))
    await slack.eventually(lambda: slack.fake.calls_to("files.completeUploadExternal"))
    await slack.click("U0JO", ActionId.PROPOSE_FROM_INCIDENT, str(incident.id))
    # Approved and awaiting notice already blocks a second proposal (s6, s7).
    await slack.eventually(
        lambda: [r for r in slack.fake.responses if "awaiting notice" in r["text"]]
    )
    async with slack.db.read() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
    await record_letter_sent(slack, "U0JO", letter.id)
    await slack.click("U0JO", ActionId.PROPOSE_FROM_INCIDENT, str(incident.id))
    reply = await slack.eventually(
        lambda: [r for r in slack.fake.responses if "already in force" in r["text"]]
    )
    assert "start a review" in reply[0]["text"]
    async with slack.db.read() as session:
        assert len((await session.execute(select(ContactStrategy))).scalars().all()) == 1


async def test_answers_of_only_spaces_count_as_missing(slack: SlackWorld) -> None:
    ack, _ = await propose(slack, reasons="   ", adjustments="\n\t ")
    assert ack["response_action"] == "errors"
    assert ack["errors"]["reasons"] == "Please answer this question."
    assert ack["errors"]["adjustments"] == "Please answer this question."


async def test_authorisers_find_undecided_requests_on_their_home(slack: SlackWorld) -> None:
    """s7: a request must not wait unseen because its card scrolled away in a DM."""
    _, incident = await propose(slack)
    await slack.settle()
    async with slack.db.read() as session:
        ref = (await session.get(Person, incident.person_id)).reference
        auth = (await session.execute(select(Authorisation))).scalar_one()
    for user in ("U0ALEX", "U0BEA"):
        home = await slack.home(user)
        assert_valid_view(home)
        text = json.dumps(home["blocks"])
        assert f"*{ref}* - Jo Reed asks you to authorise a contact strategy" in text
        assert "is in your messages from safecontact" in text
    # The requester is not asked to decide their own request (s7).
    assert "asks you to authorise" not in json.dumps((await slack.home("U0JO"))["blocks"])

    await slack.click("U0BEA", ActionId.APPROVE, str(auth.id))
    await slack.eventually(
        lambda: [r for r in slack.fake.responses if "Approved" in r["text"]], what="approval"
    )
    assert "asks you to authorise" not in json.dumps((await slack.home("U0ALEX"))["blocks"])


async def test_an_authoriser_added_later_gets_the_undecided_request(slack: SlackWorld) -> None:
    """s7: the card is what an authoriser decides from; one added to the directory after
    the request was made gets it at the next start, and nobody gets a second copy."""
    await propose(slack)
    await slack.settle()
    dana = StaffEntry(
        name="Dana Deputy", email="dana@example.org", roles=["authoriser"], slack_user_id="U0DANA"
    )
    await slack.restart_with([*DIRECTORY, dana])
    (card,) = await authorisation_cards(slack, "U0DANA")
    assert "Approve" in json.dumps(card["blocks"])
    for user in ("U0ALEX", "U0BEA"):
        assert len(await authorisation_cards(slack, user)) == 1
    assert await authorisation_cards(slack, "U0JO") == []  # never one's own request
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
    assert "asks you to authorise" in json.dumps((await slack.home("U0DANA"))["blocks"])

    await slack.click("U0DANA", ActionId.APPROVE, str(auth.id))
    await slack.eventually(
        lambda: [r for r in slack.fake.responses if "Approved" in r["text"]], what="approval"
    )
    await slack.restart_with([*DIRECTORY, dana])  # decided: nothing more is sent
    assert len(await authorisation_cards(slack, "U0DANA")) == 1


async def test_a_strategy_that_only_blocks_social_media_can_be_sent(slack: SlackWorld) -> None:
    """Issue 12 item 3, on Slack: settings of restrictions not chosen (a call length, a
    method) are ignored, whatever is left in their fields."""
    ack, _ = await propose(
        slack,
        restrictions=["block_channels"],
        blocked_channels=["social_media"],
        call_minutes="0",
    )
    assert ack["response_action"] == "update", ack
    async with slack.db.read() as session:
        strategy = (await session.execute(select(ContactStrategy))).scalar_one()
    (only,) = strategy.restrictions
    assert (only.kind, only.blocked_channels, only.call_minutes) == (
        "block_channels",
        ["social_media"],
        None,
    )


async def test_the_letter_says_what_we_will_tell_them_never_the_reasons(
    slack: SlackWorld,
) -> None:
    """Issue 14, s7: the form asks for the words the person will read, the authoriser sees
    them beside the internal reasons and approves both, and the letter prints them and never
    the reasons. Their address goes on their record and on the letter."""
    reasons = "On 4 December HE threatened Sam at the counter; police log 123 (internal)."
    summary = "You threatened a member of our staff. For a while, please write to us."
    # No summary: refused under its field; email chosen without an address: refused too.
    ack, _ = await propose(
        slack, reasons=reasons, public_summary="", letter_channel="email", person_email=""
    )
    assert ack["response_action"] == "errors", ack
    assert "public_summary" in ack["errors"] and "person_email" in ack["errors"], ack["errors"]
    ack, incident = await propose(
        slack, reasons=reasons, public_summary=summary, person_email="zed@x"
    )
    assert list(ack["errors"]) == ["person_email"], ack["errors"]
    assert "does not look like an email address" in ack["errors"]["person_email"]
    view = slack.last_view()
    answers = proposal(
        reasons=reasons,
        public_summary=summary,
        postal_address="1 High Street\nTowncastle\nTC1 1AA",
        person_email="zed@example.org",
    )
    answers["spoc"] = spoc_value(view, "Sam Patel")
    answers["incidents"] = [str(incident.id)]
    _, ack = await slack.submit("U0JO", view, answers)
    assert ack["response_action"] == "update", ack
    await slack.settle()
    (card,) = await authorisation_cards(slack, "U0BEA")
    text = json.dumps(card["blocks"])
    assert "What we will tell them" in text and "For a while, please write to us." in text
    assert "never in the letter" in text and "police log 123" in text
    async with slack.db.read() as session:
        auth = (await session.execute(select(Authorisation))).scalar_one()
        person = await session.get(Person, incident.person_id)
    assert person.postal_address == "1 High Street\nTowncastle\nTC1 1AA"
    assert person.email == "zed@example.org"
    await slack.click("U0BEA", ActionId.APPROVE, str(auth.id))
    await slack.eventually(
        lambda: slack.fake.calls_to("files.completeUploadExternal"), what="letter"
    )
    async with slack.db.read() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
    for body in (letter.text, letter.html):
        assert "please write to us" in body
        assert "police log 123" not in body and "HE threatened" not in body
    assert "Towncastle" in letter.text  # the addressee block


async def test_a_written_warning_counts_once_its_letter_is_sent(slack: SlackWorld) -> None:
    """s6 and issue 14: "warned first" reads the sending record. A written warning whose
    letter has not left the office has told them nothing yet."""
    incident = await report(slack)
    view = await slack.form_behind("U0JO", ActionId.RECORD_WARNING, incident.id)
    _, ack = await slack.submit(
        "U0JO",
        view,
        {"warning_kind": "written", "given_on": date.today().isoformat(),
         "behaviour_to_change": "Do not shout at staff."},
    )  # fmt: skip
    assert ack["response_action"] == "update", ack
    await slack.settle()

    def warned_first(form: dict[str, Any]) -> str:
        block = next(b for b in form["blocks"] if b.get("block_id") == "warning_given")
        return block["element"]["initial_option"]["value"]

    def on_file(form: dict[str, Any]) -> str:
        block = next(b for b in form["blocks"] if b.get("block_id") == "warnings_info")
        return block["elements"][0]["text"] if "elements" in block else block["text"]["text"]

    form = await open_proposal(slack, "U0JO", incident.id)
    assert warned_first(form) == "no"
    assert "Warnings on file (s6): none." in on_file(form)
    # s6: checked, not asserted. Saying yes with nothing on file is refused at its field.
    _, ack = await slack.submit(
        "U0JO",
        form,
        proposal(restrictions=["call_limit"], warning_given="yes", incidents=[str(incident.id)]),
    )
    assert ack["response_action"] == "errors", ack
    assert "No warning to them is on file as given" in ack["errors"]["warning_given"]
    async with slack.db.read() as session:
        assert (await session.execute(select(ContactStrategy))).first() is None

    async with slack.db.read() as session:
        letter = (await session.execute(select(Letter))).scalar_one()
    ack = await record_letter_sent(slack, "U0JO", letter.id)
    assert ack["response_action"] == "update", ack
    form = await open_proposal(slack, "U0JO", incident.id)
    assert warned_first(form) == "yes"
    today = f"{date.today():%d %b %Y}"
    assert f"Warnings on file as given (s6): written warning, {today}." in on_file(form)
    _, ack = await slack.submit(
        "U0JO",
        form,
        proposal(restrictions=["call_limit"], warning_given="yes", incidents=[str(incident.id)]),
    )
    assert ack["response_action"] == "update", ack
    await slack.settle()
    card = json.dumps((await authorisation_cards(slack, "U0ALEX"))[0]["blocks"])
    assert f"Warned first. On file as given: written warning, {today}." in card
    assert f"Written warning, {today}" in card and "not recorded as sent" not in card


async def test_an_office_that_turns_the_separation_off_lets_an_authoriser_decide_their_own(
    fresh_db_url: str,
) -> None:
    """Not deciding one's own proposal is the office's safeguard, not s7's
    (policy.separate_proposer_and_authoriser): an office with a single authoriser turns it
    off, and Alex's own proposal comes to Alex to decide."""
    from dialogs.office import PolicySettings
    from tests.slack_harness import start_world

    world, stop = await start_world(
        fresh_db_url, policy=PolicySettings(separate_proposer_and_authoriser=False)
    )
    try:
        ack, _ = await propose(world, "U0ALEX", restrictions=["call_limit"])
        assert ack["response_action"] == "update", ack
        assert "Alex Morgan and Bea Khan" in json.dumps(ack["view"])
        await world.settle()
        (card,) = await authorisation_cards(world, "U0ALEX")
        assert "authorisation_approve" in json.dumps(card["blocks"])
        async with world.db.read() as session:
            auth = (await session.execute(select(Authorisation))).scalar_one()
        await world.click("U0ALEX", ActionId.APPROVE, str(auth.id))
        await world.eventually(
            lambda: [r for r in world.fake.responses if "Approved" in r["text"]], what="approval"
        )
        async with world.db.read() as session:
            auth = (await session.execute(select(Authorisation))).scalar_one()
        assert auth.status == "approved" and auth.decided_by_id == auth.requested_by_id
    finally:
        await stop()
