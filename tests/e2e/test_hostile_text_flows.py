"""Hostile text through the flows that follow a strategy (issue 16, Tests: "every flow").

tests/e2e/test_hostile_text.py walks the report, the proposal, the authorisation, the
strategy letter, sharing and /case. This walks the rest on Slack and on Teams, each with
hostile text typed into its own free-text field, about a person whose name is itself hostile: the
written warning and its letter, a breach and its reminder letter, a logged contact that
alerts the manager at once, a review, a dispute and its outcome letter, further action,
and a welfare answer that tells the manager. Then it scans everything the fake Slack
recorded (blocks, fallback text, file comments, views, response_url answers) and every
letter kept, as test_hostile_text.py does: no control character or override reaches
anyone, no typed mention or link is live, no template syntax is evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from cards.ids import ActionId
from cards.text import FSI, PDI
from storage.db import Database
from storage.models import Breach, ContactLog, Dispute, FurtherAction, Letter, Review, Warning
from tests.e2e.test_hostile_text import (
    NAME,
    TEXT,
    UNSAFE,
    assert_no_live_slack_markup,
    assert_safe_everywhere,
    slack_sent,
)
from tests.e2e.test_slack_actions import checkin_id
from tests.e2e.test_slack_dispute import decide, record
from tests.e2e.test_slack_monitoring import log_contact, record_breach
from tests.e2e.test_slack_review import review
from tests.monitoring_support import (
    Clock,
    case,
    clocked_slack,
    open_form,
    put_in_force,
    reference,
)
from tests.slack_harness import SlackWorld
from tests.teams_harness import ALEX, CASEY, JO, NIA, SAM, conversation, start_teams, visible

# Each free-text field takes a hostile text within its length limit.
SAID = TEXT[:900]


@pytest.fixture
async def world(fresh_db_url: str) -> AsyncIterator[tuple[SlackWorld, Clock]]:
    async with clocked_slack(fresh_db_url) as made:
        yield made


async def stored(slack: SlackWorld, model: type) -> list:
    async with slack.db.read() as session:
        return list((await session.execute(select(model))).scalars())


async def assert_each_flow_stored_it(db: Database) -> None:
    """Each flow stored what was typed (less only what disguises), so the sweep is real."""
    async with db.read() as session:
        for model, column in (
            (Warning, "behaviour_to_change"),
            (Breach, "description"),
            (ContactLog, "summary"),
            (Review, "reasons"),
            (Dispute, "grounds"),
            (FurtherAction, "details"),
        ):
            rows = (await session.execute(select(model))).scalars()
            assert any("<!here>" in getattr(r, column) for r in rows), model.__name__


async def test_slack_hostile_text_through_every_later_flow(
    world: tuple[SlackWorld, Clock],
) -> None:
    slack, _ = world
    strategy = await put_in_force(
        slack,
        reported={"new_person_name": NAME, "what_happened": SAID},
        reasons=SAID,
        adjustments=NAME,
    )
    ref = await reference(slack, strategy.person_id)

    # The written warning (s6) and its letter, the behaviour to change typed hostile.
    view = await open_form(slack, "U0JO", ActionId.RECORD_WARNING, strategy.incident_ids[0])
    _, ack = await slack.submit(
        "U0JO",
        view,
        {"warning_kind": "written", "given_on": date.today().isoformat(),
         "behaviour_to_change": SAID},
    )  # fmt: skip
    assert ack["response_action"] == "update", ack
    # A breach (s7.2): the alert to the manager and the reminder letter.
    ack = await record_breach(slack, "U0SAM", ref, datetime.now(UTC), breach_what_happened=SAID)
    assert ack["response_action"] == "update", ack
    # A logged contact raising a criminal matter: the manager is alerted at once (s7.2).
    ack = await log_contact(
        slack, "U0NIA", strategy.person_id, contact_summary=SAID, criminal="yes",
        new_complaint="yes",
    )  # fmt: skip
    assert ack["response_action"] == "update", ack
    # A review that continues it (s7), its reasons hostile.
    ack = await review(slack, "U0ALEX", strategy.id, "continue", review_reasons=SAID)
    assert ack["response_action"] == "update", ack
    # A dispute (s7.3), its grounds and the Chief Executive's reasons hostile.
    ack = await record(slack, strategy.person_id, dispute_grounds=SAID)
    assert ack["response_action"] == "update", ack
    await slack.settle()
    (dispute,) = await stored(slack, Dispute)
    ack = await decide(slack, "U0CASEY", dispute.id, "upheld", SAID)
    assert ack["response_action"] == "update", ack
    # Further action (s7.2), its details hostile.
    view = await open_form(slack, "U0ALEX", ActionId.RECORD_FURTHER_ACTION, strategy.person_id)
    _, ack = await slack.submit(
        "U0ALEX",
        view,
        {"further_kind": "other", "further_taken_on": date.today().isoformat(),
         "further_details": SAID},
    )  # fmt: skip
    assert ack["response_action"] == "update", ack
    # The reporter asks to talk: the manager hears of it, about this hostile-named case.
    await slack.click("U0SAM", ActionId.WELFARE_TALK, checkin_id(slack))
    await case(slack, "U0ALEX", ref)
    await slack.settle()

    await assert_each_flow_stored_it(slack.db)

    sent = slack_sent(slack)
    for where, params in sent:
        assert_safe_everywhere(where, params)
        assert_no_live_slack_markup(where, params)
    # What each flow sent was among what was scanned: the alerts name the case, escaped.
    everything = " ".join(str(p) for _, p in sent)
    assert everything.count("&lt;!here&gt;") >= 3, "the typed text reached the cards escaped"
    assert "Zed &lt;!channel&gt;" in everything

    letters = await stored(slack, Letter)
    kinds = {letter.kind for letter in letters}
    assert {"strategy", "warning", "breach_reminder", "dispute_outcome"} <= kinds, kinds
    for letter in letters:
        for body in (letter.text, letter.html, letter.subject):
            assert not UNSAFE.search(body), (letter.kind, UNSAFE.search(body))
            assert "QQQ" not in body and "LOOPLOOP" not in body, letter.kind
        # Markup typed into a name is text in the HTML letter, never a tag or a link.
        assert "<script>" not in letter.html and not re.search(
            r'<a [^>]*href="http://evil', letter.html
        ), letter.kind


async def test_teams_hostile_text_through_every_later_flow(fresh_db_url: str) -> None:
    from tests.e2e.test_teams_actions import checkin_card
    from tests.e2e.test_teams_monitoring import (
        answer_of,
        case_card,
        log_contact,
        record_breach,
        record_dispute,
        review_answers,
        review_form,
    )
    from tests.e2e.test_teams_strategy import everyone_opens
    from tests.e2e.test_teams_strategy import put_in_force as put_in_force_on_teams

    teams, stop = await start_teams(fresh_db_url)
    try:
        await everyone_opens(teams)
        strategy = await put_in_force_on_teams(
            teams,
            reported={"new_person_name": NAME, "what_happened": SAID},
            reasons=SAID,
            adjustments=NAME,
        )
        # The written warning and its letter (s6).
        card = teams.cards_to(JO, "Incident report")[-1].card
        await teams.click(JO, card, "Record warning")
        form = teams.fake.replies_in(conversation(JO))[-1].card
        answer = answer_of(
            await teams.submit(
                JO,
                form,
                {
                    "warning_kind": "written",
                    "given_on": date.today().isoformat(),
                    "behaviour_to_change": SAID,
                },
            )
        )
        assert "Warning recorded" in visible(answer)
        # A breach, a logged contact raising a criminal matter, a review that continues it.
        answer = await record_breach(teams, NIA, strategy, datetime.now(UTC),
                                     breach_what_happened=SAID)  # fmt: skip
        assert "Breach recorded" in visible(answer), visible(answer)
        answer = await log_contact(teams, NIA, strategy, contact_summary=SAID, criminal="yes")
        assert "Contact logged" in visible(answer), visible(answer)
        form = await review_form(teams, ALEX, strategy)
        answer = answer_of(
            await teams.submit(ALEX, form, review_answers("continue", review_reasons=SAID))
        )
        # A dispute and the Chief Executive's outcome (s7.3).
        await record_dispute(teams, strategy, dispute_grounds=SAID)
        await teams.settle()
        (dispute_card,) = teams.cards_to(CASEY, "Dispute of the contact strategy")
        form = await teams.open_form(CASEY, dispute_card.card, "Record the outcome")
        answer_of(
            await teams.submit(
                CASEY,
                form,
                {
                    "dispute_outcome": "upheld",
                    "dispute_outcome_reasons": SAID,
                    "dispute_outcome_summary": "We have considered what you wrote.",
                },
            )
        )
        # Further action (s7.2), and the reporter asking to talk to their manager.
        form = await teams.open_form(
            ALEX, await case_card(teams, ALEX, strategy), "Record further action"
        )
        answer_of(
            await teams.submit(
                ALEX,
                form,
                {
                    "further_kind": "other",
                    "further_taken_on": date.today().isoformat(),
                    "further_details": SAID,
                },
            )
        )
        await teams.click(SAM, await checkin_card(teams), "I'd like to talk to my manager")
        await case_card(teams, ALEX, strategy)
        await teams.settle()

        await assert_each_flow_stored_it(teams.db)

        assert_safe_everywhere("teams", [c.body for c in teams.fake.calls])
        shown = [visible(card) for call in teams.fake.calls for card in call.cards]
        cards = json.dumps([c.cards for c in teams.fake.calls], ensure_ascii=False)
        # Markdown typed is shown as text (each special character escaped), never a link.
        assert "](http" not in cards and "**bold**" not in cards
        assert sum("Said <!here>" in s for s in shown) >= 3, "the typed text was shown"
        assert any(f"{FSI}Zed" in s and PDI in s for s in shown)
        teams.assert_all_cards_valid()
    finally:
        await stop()
