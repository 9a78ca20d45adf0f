"""One case's whole life on Slack, as the people in it read it (issue 12, Build item 3).

Signed requests against the fake Slack, through the real server: a report with threatened
violence, the receipt and the welfare check-in; the manager acknowledges and records a
written warning (the letter); a second incident; a proposal, sent back for changes,
resubmitted, approved (the letter); /case; a breach (the reminder letter); a contact that
raises a new matter; the review reminder, reached by moving time as `jobs run-due --at`
does; the review continues it; a dispute and the Chief Executive's outcome; the subject
access export; the strategy ended at a later review; the retention purge once its period
has passed.

Every message, update, reply, form and letter anyone gets is read by
tests/journey/reading.py (no reprs, placeholders, raw markup or split words), and every
button shown to someone is checked against the registry's who-may-use rule for them.
Block Kit is validated by slack_sdk's models. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from bot import records_commands
from bot.scheduler import run_due
from cards.ids import ActionId
from dialogs.change import change
from dialogs.context import Ctx
from dialogs.office import PolicySettings
from dialogs.office_hours import next_opening
from dialogs.records import retention
from storage import staff as staff_repo
from storage.models import (
    Authorisation,
    Breach,
    ContactStrategy,
    Incident,
    Letter,
    OutboxMessage,
    Person,
)
from tests.backends import both_backends
from tests.e2e.test_slack_incident import answers, assert_valid_message, assert_valid_view
from tests.e2e.test_slack_strategy import CRITERIA, spoc_value
from tests.journey.reading import problems, refused_buttons, slack_buttons, slack_text
from tests.monitoring_support import case, command_form, open_form, posts, wait_for
from tests.notice_support import record_letter_sent
from tests.slack_harness import SlackWorld, start_world

NAME = "Dennis Harlow"
STAFF_NAMES = ("Sam Patel", "Jo Reed", "Alex Morgan", "Bea Khan", "Casey Chief", "Nia Solo")


POLICY = PolicySettings()


@dataclass
class Reader:
    """Reads everything the bot sent since the last look, as the person it went to."""

    slack: SlackWorld
    seen: dict[str, int] = field(default_factory=dict)
    read: list[str] = field(default_factory=list)

    def _new(self, key: str, items: list[Any]) -> list[Any]:
        start = self.seen.get(key, 0)
        self.seen[key] = len(items)
        return items[start:]

    async def look(self, step: str, actor: str) -> str:
        """Check every new surface; return their text, for the step's own assertions."""
        await self.slack.settle()
        fake = self.slack.fake
        surfaces: list[tuple[str, dict[str, Any]]] = []
        for method in ("chat.postMessage", "chat.update"):
            for payload in self._new(method, fake.calls_to(method)):
                assert_valid_message(payload)
                surfaces.append(("U" + payload["channel"][1:], payload))
        for reply in self._new("responses", fake.responses):
            assert_valid_message(reply)
            surfaces.append((actor, reply))
        for opened in self._new("views.open", fake.calls_to("views.open")):
            assert_valid_view(opened["view"])
            surfaces.append((actor, opened["view"]))
        texts = []
        async with self.slack.db.read() as session:
            for user, payload in surfaces:
                text = slack_text(payload)
                where = f"{step}: to {user}: {text[:80]!r}"
                assert problems(text) == [], (where, problems(text))
                viewer = await staff_repo.get_by_slack_id(session, slack_user_id=user)
                if viewer is not None:
                    refused = refused_buttons(viewer, slack_buttons(payload))
                    assert refused == [], (where, refused)
                texts.append(f"[{user}] {text}")
            for letter in self._new(
                "letters",
                (await session.execute(select(Letter).order_by(Letter.id))).scalars().all(),
            ):
                assert problems(letter.text) == [], (step, letter.kind, problems(letter.text))
                texts.append(f"[letter {letter.kind}] {letter.text}")
        self.read += texts
        return "\n".join(texts)

    async def answer(self, step: str, actor: str, ack: dict[str, Any]) -> str:
        """A form's answer (the view that replaced it), checked like everything else."""
        assert ack and ack.get("response_action") == "update", (step, ack)
        assert_valid_view(ack["view"])
        text = slack_text(ack["view"])
        assert problems(text) == [], (step, problems(text))
        return text + "\n" + await self.look(step, actor)


def card_in(payloads: list[dict[str, Any]], marker: str) -> dict[str, Any]:
    found = [p for p in payloads if marker in p["text"]]
    assert found, f"no message saying {marker!r}"
    return found[-1]


async def all_of(slack: SlackWorld, model: Any) -> list[Any]:
    async with slack.db.read() as session:
        return list((await session.execute(select(model))).scalars())


async def one(slack: SlackWorld, model: Any, *where: Any) -> Any:
    async with slack.db.read() as session:
        stmt = select(model).where(*where).order_by(model.id.desc())
        return (await session.execute(stmt)).scalars().first()


def proposal_answers(view: dict[str, Any], incident_ids: list[int]) -> dict[str, Any]:
    return {
        "restrictions": ["call_limit", "spoc"],
        "call_minutes": "15",
        "spoc": spoc_value(view, "Sam Patel"),
        "reasons": "Threatened a member of staff and kept calling after a written warning.",
        "public_summary": "You threatened a member of our staff, and kept calling after we "
        "wrote to warn you. We are limiting how you can contact us for a while.",
        "adjustments": "None needed beyond the usual; letters in plain English.",
        "shortcomings_addressed": "We now write with an update every fortnight (s4).",
        "criteria": list(CRITERIA),
        "incidents": [str(i) for i in incident_ids],
        "review_date": (date.today() + timedelta(days=90)).isoformat(),
        "letter_channel": "letter",
        "letter_format": "standard",
        **{f"criterion_{c}": f"Checked {c} against the case file." for c in CRITERIA},
    }


def left_as_shown(view: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The answers a person gives, plus every default the form showed that they left."""
    kept: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input" or block["block_id"] in given:
            continue
        element = block["element"]
        if element.get("initial_option"):
            kept[block["block_id"]] = element["initial_option"]["value"]
        elif element.get("initial_options"):
            kept[block["block_id"]] = [o["value"] for o in element["initial_options"]]
        elif element.get("initial_value"):
            kept[block["block_id"]] = element["initial_value"]
        elif element.get("initial_date"):
            kept[block["block_id"]] = element["initial_date"]
    return {**kept, **given}


def initial(view: dict[str, Any], block_id: str) -> Any:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    element = block["element"]
    if "initial_options" in element:
        return [o["value"] for o in element["initial_options"]]
    chosen = element.get("initial_option") or {}
    return chosen.get("value")


@both_backends
async def test_one_case_from_report_to_retention_on_slack(
    fresh_db_url: str, tmp_path: Path
) -> None:
    slack, stop = await start_world(fresh_db_url)
    try:
        await _journey(slack, tmp_path)
    finally:
        await stop()


async def _journey(slack: SlackWorld, tmp_path: Path) -> None:
    read = Reader(slack)

    # 1. Sam reports a threat of violence; the receipt and a welfare check-in follow.
    view = await command_form(slack, "U0SAM", "/incident", "")
    _, ack = await slack.submit(
        "U0SAM",
        view,
        answers(
            new_person_name=NAME,
            behaviours=["abuse", "threats_harm"],
            what_happened="Said they would come to the office and hurt me.",
            violence="yes",
        ),
    )
    seen = await read.answer("report", "U0SAM", ack)
    first = await one(slack, Incident)
    person = await one(slack, Person)
    ref = person.reference
    assert ref in seen and "Report saved" in seen
    receipt = slack_text(card_in(slack.fake.posts_to("U0SAM"), ref))
    assert "Police report required" in receipt or "police" in receipt.lower()
    assert posts(slack, "U0SAM", "How are you")
    jo_card = card_in(slack.fake.posts_to("U0JO"), "Incident report")
    jo_text = slack_text(jo_card)
    assert NAME in jo_text and "Sam Patel" in jo_text
    assert "Police report required" in jo_text
    assert {a for a, _ in slack_buttons(jo_card)} >= {
        ActionId.ACKNOWLEDGE,
        ActionId.RECORD_WARNING,
        ActionId.PROPOSE_FROM_INCIDENT,
    }

    # 2. Jo acknowledges, then records a written warning; the letter comes as a file.
    await slack.click("U0JO", ActionId.ACKNOWLEDGE, str(first.id))
    seen = await read.look("acknowledge", "U0JO")
    assert "Acknowledged by Jo Reed" in seen
    view = await open_form(slack, "U0JO", ActionId.RECORD_WARNING, first.id)
    _, ack = await slack.submit(
        "U0JO",
        view,
        {
            "warning_kind": "written",
            "given_on": date.today().isoformat(),
            "behaviour_to_change": "Do not threaten staff.",
        },
    )
    seen = await read.answer("warning", "U0JO", ack)
    warning_letter = await one(slack, Letter, Letter.kind == "warning")
    assert warning_letter is not None and f"Dear {NAME}" in warning_letter.text
    assert "Written warning given" in seen
    # Jo posts it and records it sent: only then does it count as a warning given (s6).
    ack = await record_letter_sent(slack, "U0JO", warning_letter.id)
    await read.answer("warning letter sent", "U0JO", ack)

    # 2b. s6, police always: the referral is chased a day on, then recorded, and the
    # reminders stop.
    at = next_opening(datetime.now(UTC) + timedelta(days=1, hours=1), POLICY)
    assert await run_due(slack.runtime, at=at)
    await time_reaches(slack, at)
    seen = await read.look("police reminder", "U0JO")
    assert f"Police report still needed for {ref}" in seen
    view = await open_form(slack, "U0JO", ActionId.RECORD_POLICE, first.id)
    _, ack = await slack.submit(
        "U0JO", view, {"referred_on": date.today().isoformat(), "police_reference": "WK-77"}
    )
    await read.answer("police referral", "U0JO", ack)
    later = await run_due(slack.runtime, at=at + timedelta(days=3))
    assert [r.summary for r in later if r.kind == "police_referral_nudge"] == [
        "skipped: a police referral is recorded"
    ]

    # 2c. s5: the card asked Jo to ask them about their needs; they need large print and
    # cannot use email. Recorded, it shapes the strategy proposed below.
    assert "They have not yet been asked" in jo_text
    view = await open_form(slack, "U0JO", ActionId.RECORD_NEEDS, person.id)
    _, ack = await slack.submit(
        "U0JO",
        view,
        {
            "needs_told": "needs",
            "needs_text": "Partially sighted: needs letters in large print.",
            "needs_adjustments": "Letters in large print.",
            "needs_unusable_methods": ["email"],
            "needs_told_on": date.today().isoformat(),
        },
    )
    await read.answer("needs", "U0JO", ack)

    # 3. A second incident, about the same person, found by type-ahead.
    view = await command_form(slack, "U0SAM", "/incident", "")
    _, ack = await slack.submit(
        "U0SAM",
        view,
        answers(new_person_name=None, person=f"p:{person.id}", channel="email",
                actions_taken=["warned"],
                what_happened="Emailed six times in an hour demanding a call back."),
    )  # fmt: skip
    await read.answer("second incident", "U0SAM", ack)
    second = await one(slack, Incident)
    assert second.id != first.id and second.person_id == person.id

    # 4. Jo proposes a strategy. A written warning is on file, so "warned first" is Yes.
    view = await open_form(slack, "U0JO", ActionId.PROPOSE_FROM_INCIDENT, second.id)
    assert initial(view, "warning_given") == "yes"
    assert initial(view, "unusable_methods") == ["email"]  # from the needs they told us
    _, ack = await slack.submit(
        "U0JO", view, left_as_shown(view, proposal_answers(view, [first.id, second.id]))
    )
    seen = await read.answer("propose", "U0JO", ack)
    assert "Alex Morgan and Bea Khan" in seen
    auth = await one(slack, Authorisation)
    # While it waits, Propose is not offered again: the second incident's card says so.
    refreshed = [u for u in slack.fake.calls_to("chat.update") if "Incident report" in u["text"]]
    assert refreshed and all(
        ActionId.PROPOSE_FROM_INCIDENT not in {a for a, _ in slack_buttons(u)}
        for u in refreshed[-1:]
    )
    await slack.command("U0JO", "/case", ref)
    seen = await read.look("case while pending", "U0JO")
    assert "Propose contact strategy" not in seen

    # 5. Bea asks for changes; Jo revises and resubmits; Alex approves.
    view = await open_form(slack, "U0BEA", ActionId.ASK_CHANGES, auth.id)
    _, ack = await slack.submit("U0BEA", view, {"decision_reason": "Make the call limit 20."})
    await read.answer("ask for changes", "U0BEA", ack)
    back = card_in(slack.fake.posts_to("U0JO"), "changes")
    assert "Make the call limit 20." in slack_text(back)
    view = await open_form(slack, "U0JO", ActionId.REVISE_STRATEGY, auth.strategy_id)
    answers_again = proposal_answers(view, [first.id, second.id])
    answers_again["call_minutes"] = "20"
    _, ack = await slack.submit("U0JO", view, left_as_shown(view, answers_again))
    await read.answer("resubmit", "U0JO", ack)
    again = await one(slack, Authorisation, Authorisation.status == "pending")
    assert again.id != auth.id
    await slack.click("U0ALEX", ActionId.APPROVE, str(again.id))
    await wait_for(
        lambda: _active(slack, again.strategy_id, status="approved"), what="the approval"
    )
    seen = await read.look("approve", "U0ALEX")
    strategy_letter = await one(slack, Letter, Letter.kind == "strategy")
    assert "Phone calls limited to 20 minutes" in strategy_letter.text
    assert "now in force" not in seen and "not yet in force" in seen  # s6, s7
    # 5b. Jo sends the letter and records it: only now is it in force.
    view = await open_form(slack, "U0JO", ActionId.RECORD_LETTER_SENT, strategy_letter.id)
    _, ack = await slack.submit(
        "U0JO", view, {"sent_method": "post", "sent_on": datetime.now(UTC).date().isoformat()}
    )
    seen = await read.answer("letter sent", "U0JO", ack)
    strategy = await wait_for(
        lambda: _active(slack, again.strategy_id), what="the strategy in force"
    )
    assert "now in force" in seen

    # 6. /case as the reporter: the strategy, the SPOC once, whether police are needed.
    await slack.command("U0SAM", "/case", ref)
    seen = await read.look("case", "U0SAM")
    assert "Contact strategy in force" in seen
    assert seen.count("Single point of contact") == 1
    assert "1 referral recorded; none required" in seen  # the referral of step 2b
    assert "Record breach" in seen and "Propose contact strategy" not in seen

    # 7. A breach, and the reminder letter.
    view = await command_form(slack, "U0SAM", "/breach", ref)
    block = next(b for b in view["blocks"] if b.get("block_id") == "breached_restriction")
    limit = next(
        o["value"]
        for o in block["element"]["options"]
        if o["text"]["text"].startswith("Phone calls limited")
    )
    _, ack = await slack.submit(
        "U0SAM",
        view,
        {
            "breach_about": "breach",
            "breached_restriction": limit,
            "breach_occurred_at": int(datetime.now(UTC).timestamp()),
            "breach_channel": "telephone",
            "breach_what_happened": "Called for 45 minutes and would not end the call.",
        },
    )
    seen = await read.answer("breach", "U0SAM", ack)
    assert await one(slack, Letter, Letter.kind == "breach_reminder") is not None
    assert "Breach of the contact strategy" in seen

    # 7b. s9: they ring, through the restricted channel, to ask for what we hold about
    # them. The breach form asks what it was about: a request for information, logged and
    # passed to whoever handles them (the administrators here), never a breach.
    view = await command_form(slack, "U0SAM", "/breach", ref)
    _, ack = await slack.submit(
        "U0SAM",
        view,
        {
            "breach_about": "information_request",
            "breach_occurred_at": int(datetime.now(UTC).timestamp()),
            "breach_channel": "telephone",
            "breach_what_happened": "Asked for a copy of everything we hold about them.",
        },
    )
    seen = await read.answer("information request", "U0SAM", ack)
    assert "Not recorded as a breach" in seen
    assert "raised a request for information (s9)" in seen  # Ada's alert
    assert len(await all_of(slack, Breach)) == 1

    # 8. A logged contact that raises a new matter.
    view = await open_form(slack, "U0NIA", ActionId.LOG_CONTACT, person.id)
    _, ack = await slack.submit(
        "U0NIA",
        view,
        {
            "contact_occurred_at": int(datetime.now(UTC).timestamp()) - 300,
            "contact_channel": "letter",
            "contact_summary": "Wrote about a new complaint: a missed bin collection.",
            "new_information": "no",
            "new_complaint": "yes",
            "criminal": "no",
            "safeguarding": "no",
            "information_request": "no",
            "read_no_action": "no",
        },
    )
    seen = await read.answer("contact", "U0NIA", ack)
    assert "new complaint" in seen.lower()

    # 9. Time moves to the first review reminder, as `jobs run-due --at` moves it.
    reminder_day = strategy.review_date - timedelta(days=14)
    at = datetime.combine(reminder_day, time(11, 0), tzinfo=UTC)
    runs = await run_due(slack.runtime, at=at)
    assert runs, "nothing was due at the review reminder"
    await time_reaches(slack, at)
    seen = await read.look("review reminder", "U0JO")
    assert "review" in seen.lower() and ref in seen

    # 10. Alex reviews it: it continues.
    view = await open_form(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
    assert "0 breaches" not in slack_text(view) and "breach(es)" not in slack_text(view)
    assert "1 breach," in slack_text(view)
    _, ack = await slack.submit(
        "U0ALEX",
        view,
        {
            "review_outcome": "continue",
            "review_reasons": "One breach since; still needed for now.",
            "review_public_summary": "We have looked again at how you contact us and will "
            "keep the same arrangements for now.",
            "new_review_date": (date.today() + timedelta(days=120)).isoformat(),
        },
    )
    seen = await read.answer("review continues", "U0ALEX", ack)
    assert "continues" in seen

    # 11. A dispute, and the Chief Executive's outcome.
    view = await open_form(slack, "U0NIA", ActionId.RECORD_DISPUTE, person.id)
    _, ack = await slack.submit(
        "U0NIA",
        view,
        {"dispute_received_on": date.today().isoformat(),
         "dispute_grounds": "I only called because nobody answered my emails."},
    )  # fmt: skip
    seen = await read.answer("dispute", "U0NIA", ack)
    assert "Casey Chief" in seen
    card = card_in(slack.fake.posts_to("U0CASEY"), "Dispute of the contact strategy")
    assert "Alex Morgan" in slack_text(card)  # who authorised it
    dispute_id = next(v for a, v in _values(card) if a == ActionId.DISPUTE_DECIDE)
    view = await open_form(slack, "U0CASEY", ActionId.DISPUTE_DECIDE, dispute_id)
    _, ack = await slack.submit(
        "U0CASEY",
        view,
        {
            "dispute_outcome": "upheld",
            "dispute_outcome_reasons": "The limits are fair.",
            "dispute_outcome_summary": "We have considered what you wrote.",
        },
    )
    await read.answer("dispute outcome", "U0CASEY", ack)
    outcome = await one(slack, Letter, Letter.kind == "dispute_outcome")
    assert "still apply" in " ".join(outcome.text.split())

    # 12. The subject access export: everything held, staff shown by role.
    out = tmp_path / "sar"
    code = await records_commands.export_person(
        slack.runtime.settings, argparse.Namespace(ref=ref, out=str(out), force=False)
    )
    assert code == 0
    page = re.sub(r"<[^>]+>", " ", (out / "index.html").read_text())
    data = json.loads((out / "data.json").read_text())
    assert NAME in page and data["person"]["reference"] == ref
    for name in STAFF_NAMES:
        assert name not in page, name

    # 13. A later review ends it; once the retention period has passed, the purge
    # anonymises the case.
    view = await open_form(slack, "U0ALEX", ActionId.START_REVIEW, strategy.id)
    _, ack = await slack.submit(
        "U0ALEX",
        view,
        {
            "review_outcome": "end",
            "review_reasons": "No contact of concern for months.",
            "review_public_summary": "Thank you: you can now contact us in any way again.",
        },
    )
    await read.answer("review ends", "U0ALEX", ack)
    later = datetime.now(UTC) + timedelta(
        days=365 * slack.runtime.settings.policy.retention_years + 30
    )
    ctx = Ctx(
        db=slack.db,
        organisation=slack.runtime.settings.organisation,
        policy=slack.runtime.settings.policy,
        now=later,
    )
    async with change(ctx, "cli:journey") as uow:
        planned = await retention.purge(uow)
    assert [p.reference for p in planned.people] == [ref]
    async with slack.db.read() as session:
        kept = await session.get(Person, person.id)
        assert kept is not None and NAME not in (kept.name or "")
        assert (await session.execute(select(Letter))).scalars().all() == []
    # /case says the case is closed for good, and offers no button a flow would refuse.
    closed = await case(slack, "U0SAM", ref)
    assert "Anonymised under the retention policy" in json.dumps(closed)
    assert NAME not in json.dumps(closed)
    assert not [b for b in closed["blocks"] if b["type"] == "actions"]

    # Everyone in it was named where they acted; nobody read a refused button.
    everything = "\n".join(read.read)
    for name in ("Sam Patel", "Jo Reed", "Alex Morgan", "Bea Khan", "Casey Chief"):
        assert name in everything, name


async def time_reaches(slack: SlackWorld, at: datetime) -> None:
    """What the scheduler queued for `at` (office hours then) is sent as the clock gets
    there: the messages held until then are let go now, and the outbox woken."""
    async with slack.db.write() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= at)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    slack.runtime.outbox_wakeup.set()


def _values(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["action_id"], e["value"])
        for b in payload["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("type") == "button"
    ]


async def _active(
    slack: SlackWorld, strategy_id: int, *, status: str = "active"
) -> ContactStrategy | None:
    async with slack.db.read() as session:
        found = await session.get(ContactStrategy, strategy_id)
        return found if found is not None and found.status == status else None
