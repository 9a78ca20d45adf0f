"""One case's life in the local web chat, in a real browser (issue 12, Build items 1, 2, 4).

`safecontact serve` runs as `make run` starts it (no configuration: the bundled demo
directory, no credentials); tests/e2e/journey.mjs drives Debian's Chromium through the page
with playwright-core, as a person would: Sam reports a threat of violence, Jo acknowledges
and records a written warning (its letter), Sam reports again, Jo proposes a strategy that
only blocks social media, Alex asks for changes, Jo resubmits, Bea approves (the letter:
its card reads as paragraphs, and its buttons download the PDF and the large-print PDF,
whose text is the letter's), Jo records the letter sent, which puts the strategy in force
(issue 14, s6, s7), Sam looks the case up and records a breach (the reminder letter), logs
a contact that raises a new complaint, Alex reviews the strategy and continues it from
the review reminder (`safecontact jobs run-due`; the review was set 14 days out, so its
first reminder is due today), Sam records a dispute and Casey, the Chief Executive,
decides it (the outcome letter), and Jo ends the strategy at a later review (the ended
letter, with why); the subject access export (`safecontact export-person`,
opened in the browser) and the retention purge once its six years have passed
(`safecontact retention purge --at`), after which /case no longer names the person (s9).
Screenshots of every step at 1280 px and 390 px, and each card's accessibility tree, are
kept in test-artifacts/journey/ (git ignores it), with the two PDFs downloaded.

The text of every card each step showed is read by tests/journey/reading.py; no word may
be split over two lines at the phone width; every button on every card the bot sent is
checked against the registry's rule for the person it was shown to. The review reminder is
reached without moving time here: a running server holds what a job sends for a future
time until that time comes, so the Slack journey (tests/e2e/test_journey_slack.py) is the
one that moves time for the reminders.

`make test` installs what this needs (tests/e2e/setup.sh). Where it could not (not root,
no apt), the test is skipped with the reason; as root, as in CI, a missing piece fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot.webchat import demo
from bot.webchat.app import WEBCHAT_JS
from bot.webchat.cards import MARKER
from storage.models import StaffMember, StaffRole
from tests.e2e.serving import CLI, clean_env, serving
from tests.journey.reading import problems, refused_buttons
from tests.letter_text import assert_pdf_is_the_letter, pdf_text, words

E2E = Path(__file__).resolve().parent
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journey"
CHROMIUM = Path("/usr/bin/chromium")
STEPS = [
    "01-reporter-chosen",
    "02-violence-reported",
    "03-manager-acknowledges",
    "04-written-warning-letter",
    "05-second-incident",
    "06-proposal",
    "07-authoriser-asks-for-changes",
    "08-proposer-resubmits",
    "09-approved",
    "10-strategy-letter",
    "11-letter-sent",
    "12-case-as-reporter",
    "13-breach-and-reminder-letter",
    "14-contact-raises-new-matter",
    "15-review-reminder",
    "16-review-continues",
    "17-dispute-recorded",
    "18-dispute-outcome-letter",
    "19-strategy-ended",
    "20-subject-access-export",
    "21-retention-purge",
]
STAFF = ("Sam Rivers", "Jo Fielding", "Alex Moreno", "Bea Okafor", "Casey Lin")


def web_buttons(node: Any) -> list[tuple[str, str]]:
    """(verb, title) of every button on a card as the page got it: each Action.Execute
    arrives as an Action.Submit carrying its verb (bot/webchat/cards.py)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        marker = node.get("data", {}).get(MARKER) if node.get("type") == "Action.Submit" else None
        if isinstance(marker, dict):
            found.append((str(marker.get("verb", "")), str(node.get("title", ""))))
        for value in node.values():
            found += web_buttons(value)
    elif isinstance(node, list):
        for value in node:
            found += web_buttons(value)
    return found


def demo_staff() -> dict[str, StaffMember]:
    """The bundled demo directory `serve` used, as people with their roles."""
    return {
        entry["name"]: StaffMember(
            name=entry["name"], roles=[StaffRole(role=r) for r in entry["roles"]]
        )
        for entry in demo.directory()
    }


TYPOGRAPHIC = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "…": "..."})


def plain_quotes(text: str) -> str:
    """Text as typed: the curly quotes and ellipsis markdown's typographer makes, undone."""
    return text.translate(TYPOGRAPHIC)


def missing() -> list[str]:
    needs = {
        "Debian's chromium (/usr/bin/chromium)": CHROMIUM.exists(),
        "node": shutil.which("node") is not None,
        "playwright-core (npm ci in tests/e2e)": (
            E2E / "node_modules" / "playwright-core"
        ).exists(),
        "botframework-webchat (npm ci in bot/webchat/frontend)": WEBCHAT_JS.exists(),
    }
    return [name for name, present in needs.items() if not present]


def test_one_case_in_the_local_web_chat(tmp_path: Path) -> None:
    absent = missing()
    if absent:
        reason = f"the browser test needs {', '.join(absent)}: `make test` installs them"
        if os.geteuid() == 0:
            pytest.fail(reason + " (running as root, so tests/e2e/setup.sh should have)")
        pytest.skip(reason)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with serving(tmp_path, "--port", "0") as served:
        assert served.url is not None, served.stdout
        # The journey runs the command line beside the server, as an operator would: same
        # folder, same environment (tests/e2e/serving.py).
        done = subprocess.run(
            ["node", str(E2E / "journey.mjs"), served.url, str(ARTIFACTS), str(CLI), str(tmp_path)],
            cwd=E2E,
            env=clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=600,
        )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    verdict = json.loads(lines[-1])
    summary = json.loads((ARTIFACTS / "summary.json").read_text())
    assert verdict["ok"] == summary["ok"]
    assert done.returncode == 0 and summary["ok"], summary.get("error") or done.stderr
    assert [s["name"] for s in summary["steps"]] == STEPS
    for step in STEPS:
        for width in (1280, 390):
            assert (ARTIFACTS / f"{step}-{width}.png").stat().st_size > 10_000, (step, width)

    # What people read: no reprs, placeholders or markup; no word split over two lines.
    for step, seen in summary["texts"].items():
        for text in seen["cards"]:
            assert problems(text) == [], (step, seen["viewer"], problems(text), text[:300])
        for text in seen["messages"]:
            assert problems(text) == [], (step, seen["viewer"], problems(text), text)
            # A button's answer stays in the chat after the form: it must not point at a
            # place that is no longer true (issue 12 item 4).
            assert "below this card" not in text, (step, text)
    assert any("I have sent you the form" in m for m in summary["texts"]["06-proposal"]["messages"])
    assert {s: w for s, w in summary["broken"].items() if w} == {}
    letters = "\n".join(summary["texts"]["04-written-warning-letter"]["cards"])
    assert "Dear Dennis Harlow," in letters and "['" not in letters  # issue 12 item 2
    assert "case show" not in letters
    strategy_letter = "\n".join(summary["texts"]["10-strategy-letter"]["cards"])
    assert "Blocked: social media" in strategy_letter

    approved = "\n".join(summary["texts"]["09-approved"]["cards"])
    assert "sent back for changes" in approved and ": draft" not in approved

    # The fixes the walk holds (issue 12 items 3, 5, 7, 10).
    checks = summary["checks"]
    # The banner says what happens in plain words, not "a short message" jargon (item 10).
    assert "when you press a button on a card" in checks["banner"]
    assert "Buttons answer here" not in checks["banner"]
    assert checks["warnedFirstDefault"] is True
    assert "has gone to Alex Moreno and Bea Okafor to decide" in checks["proposalSentTo"]
    assert checks["proposeStillOffered"] == 0
    case = "\n".join(summary["texts"]["12-case-as-reporter"]["cards"])
    assert case.count("Single point of contact") <= 1
    assert "still needs one recorded (s6)" in case

    # The end of the case: a new complaint read from a contact (s7.2), the review that
    # continues it (s7.1), the dispute to the Chief Executive and its outcome (s7.3).
    assert "Casey Lin" in checks["disputeSentTo"]
    outcome = "\n".join(summary["texts"]["18-dispute-outcome-letter"]["cards"])
    assert "Dear Dennis Harlow," in outcome and "still apply" in " ".join(outcome.split())

    # No button the bot sent anyone would be refused to them (issue 12, Build item 4).
    people = demo_staff()
    assert len(summary["sent"]) > 20, "the page's Direct Line answers were not seen"
    shown = [b for sent in summary["sent"] for b in web_buttons(sent["card"])]
    assert len(shown) > 20, "no buttons were read from the cards"
    for sent in summary["sent"]:
        viewer = people[sent["viewer"]]
        refused = refused_buttons(viewer, web_buttons(sent["card"]))
        assert refused == [], (sent["viewer"], refused)

    # Every card is labelled for a screen reader, and every control in it has a name.
    cards = summary["cards"]
    assert set(cards) >= {
        "help-card",
        "incident-form",
        "confirmation",
        "incident-card",
        "strategy-form",
        "authorisation-card",
        "case-card",
        "letter-ready-card",
        "letter-sent-form",
    }
    for name, card in cards.items():
        assert card["role"] in ("form", "figure") and card["label"], name
        assert card["unnamed"] == [] and card["named"] == card["controls"], name
    assert cards["incident-card"]["label"].startswith(f"Incident report {summary['reference']}")
    assert "Acknowledge" not in cards["incident-card-acknowledged"]["names"]
    assert not [m for m in summary["console"] if "Content Security Policy" in m], summary["console"]
    assert not [m for m in summary["console"] if m.startswith("pageerror")], summary["console"]

    # What the clicks changed is in the database, attributed to the right people: read
    # from the backup the journey took before the retention purge (which deletes letters).
    conn = sqlite3.connect(tmp_path / "before-purge.db")
    try:
        acknowledged = conn.execute(
            "SELECT r.name, a.name FROM incidents i "
            "JOIN staff_members r ON r.id = i.reporter_id "
            "JOIN staff_members a ON a.id = i.acknowledged_by_id"
        ).fetchall()
        strategies = conn.execute("SELECT status FROM contact_strategies ORDER BY id").fetchall()
        breaches = conn.execute("SELECT count(*) FROM breaches").fetchone()
        contacts = conn.execute("SELECT new_complaint FROM contact_logs").fetchall()
        reviews = conn.execute("SELECT outcome FROM reviews ORDER BY id").fetchall()
        disputes = conn.execute(
            "SELECT d.outcome, s.name FROM disputes d JOIN staff_members s ON s.id = d.decider_id"
        ).fetchall()
        kinds = {k for (k,) in conn.execute("SELECT kind FROM letters").fetchall()}
        (strategy_letter_text, sent_method, sent_on) = conn.execute(
            "SELECT text, sent_method, sent_on FROM letters WHERE kind = 'strategy'"
        ).fetchone()
    finally:
        conn.close()
    assert acknowledged == [("Sam Rivers", "Jo Fielding")]
    assert [s for (s,) in strategies] == ["draft", "ended"]
    assert sent_method == "post" and sent_on  # recorded as sent, which put it in force

    # The letter card reads as paragraphs: each block on screen is one paragraph of the
    # kept letter, whole (its lines kept), never a line on its own or a Python list.
    # (Web Chat's markdown sets quotes and dashes typographically: compared folded.)
    blocks = [plain_quotes(words(b)) for b in checks["letterBlocks"]]
    paragraphs = [plain_quotes(words(p)) for p in strategy_letter_text.split("\n\n") if p.strip()]
    assert [p for p in paragraphs if p not in blocks] == [], blocks
    assert len(paragraphs) < len(strategy_letter_text.strip().splitlines())
    assert not [b for b in blocks if b.startswith("['")]
    # Its buttons downloaded the letter's PDF and its large print, from this server, and
    # their text is the letter's (pypdf).
    for key, name in (("letterPdf", "strategy-letter.pdf"), ("letterLargePdf", None)):
        got = checks[key]
        assert got["status"] == 200 and got["type"] == "application/pdf", got
        assert got["link"].startswith(served.url.rstrip("/") + "/letters/")
        assert "sig=" in got["link"] and "expires=" in got["link"]
        assert "attachment" in got["disposition"]
        body = (ARTIFACTS / got["file"]).read_bytes()
        assert body.startswith(b"%PDF-")
        assert_pdf_is_the_letter(pdf_text(body), strategy_letter_text)
        if name is None:
            assert "print=large" in got["link"]
    # Before it was sent the card said the strategy is not in force; after, that it is.
    assert "not in force" in checks["beforeSending"]
    assert "now in force" in checks["afterSending"]
    assert checks["recordStillOffered"] == 0
    assert breaches == (1,)
    assert contacts == [(1,)]
    assert reviews == [("continued",), ("ended",)]
    assert disputes == [("upheld", "Casey Lin")]
    assert kinds == {
        "warning",
        "strategy",
        "breach_reminder",
        "strategy_continued",
        "dispute_outcome",
        "strategy_ended",
    }
    assert not [line for line in served.stderr if "Traceback" in line], "".join(served.stderr)

    # The ended letter says why, in the words Jo wrote for the person (issue 14, s7.1).
    ended = " ".join(checks["endedLetter"].split())
    assert "no further problems, so the limits on social media messages have ended" in ended
    # The review reminder came as the policy says (s7.1), 14 days ahead, and was acted on.
    assert "is due for review in 14 days" in " ".join(checks["reviewReminder"].split())
    # s9: the subject access export holds their case as they may ask for it, in plain words,
    # with the letters and their sending records; then, six years on, the purge.
    sar = " ".join(checks["sar"].split())
    assert "Dennis Harlow" in sar and summary["reference"] in sar
    assert "Social media" in sar or "social media" in sar
    assert problems(checks["sar"]) == []
    # Dated as the person reads a date, not as ISO 8601.
    assert re.search(r"as at \d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2}", sar), sar[:400]
    assert "1 cases anonymised" in checks["purge"] or "1 case anonymised" in checks["purge"]
    after = " ".join(checks["caseAfterPurge"].split())
    assert "Dennis Harlow" not in after
    # Closed for good: said so, and no button every flow would refuse (people.get_live).
    assert "Anonymised under the retention policy (s9)" in after
    assert "Request to share" not in after and "Propose" not in after
    conn = sqlite3.connect(tmp_path / "safecontact.db")
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM people").fetchall()]
    finally:
        conn.close()
    assert "Dennis Harlow" not in names
    assert all(s["viewer"] in STAFF for s in summary["texts"].values())
