"""One case's life in the local web chat, in a real browser (issue 12, Build items 1, 2, 4).

`safecontact serve` runs as `make run` starts it (no configuration: the bundled demo
directory, no credentials); tests/e2e/journey.mjs drives Debian's Chromium through the page
with playwright-core, as a person would: Sam reports a threat of violence, Jo acknowledges
and records a written warning (its letter), Sam reports again, Jo proposes a strategy that
only blocks social media, Alex asks for changes, Jo resubmits, Bea approves (the letter),
Sam looks the case up and records a breach (the reminder letter). Screenshots of every
step at 1280 px and 390 px, and each card's accessibility tree, are kept in
test-artifacts/journey/ (git ignores it).

The text of every card each step showed is read by tests/journey/reading.py; no word may
be split over two lines at the phone width. The rest of the case's life (a contact that
raises a new matter, the review reminder through `jobs run-due --at`, the review, the
dispute, the subject access export and the retention purge) is walked on Slack in
tests/e2e/test_journey_slack.py, through the same flows.

`make test` installs what this needs (tests/e2e/setup.sh). Where it could not (not root,
no apt), the test is skipped with the reason; as root, as in CI, a missing piece fails.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot.webchat.app import WEBCHAT_JS
from tests.e2e.serving import serving
from tests.journey.reading import problems

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
    "10b-letter-sent",
    "11-case-as-reporter",
    "12-breach-and-reminder-letter",
]
STAFF = ("Sam Rivers", "Jo Fielding", "Alex Moreno", "Bea Okafor")


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
        done = subprocess.run(
            ["node", str(E2E / "journey.mjs"), served.url, str(ARTIFACTS)],
            cwd=E2E,
            capture_output=True,
            text=True,
            timeout=480,
        )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    summary = json.loads(lines[-1])
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
    case = "\n".join(summary["texts"]["11-case-as-reporter"]["cards"])
    assert case.count("Single point of contact") <= 1
    assert "still needs one recorded (s6)" in case

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
    }
    for name, card in cards.items():
        assert card["role"] in ("form", "figure") and card["label"], name
        assert card["unnamed"] == [] and card["named"] == card["controls"], name
    assert cards["incident-card"]["label"].startswith(f"Incident report {summary['reference']}")
    assert "Acknowledge" not in cards["incident-card-acknowledged"]["names"]
    assert not [m for m in summary["console"] if "Content Security Policy" in m], summary["console"]
    assert not [m for m in summary["console"] if m.startswith("pageerror")], summary["console"]

    # What the clicks changed is in the database, attributed to the right people.
    conn = sqlite3.connect(tmp_path / "safecontact.db")
    try:
        acknowledged = conn.execute(
            "SELECT r.name, a.name FROM incidents i "
            "JOIN staff_members r ON r.id = i.reporter_id "
            "JOIN staff_members a ON a.id = i.acknowledged_by_id"
        ).fetchall()
        strategies = conn.execute("SELECT status FROM contact_strategies ORDER BY id").fetchall()
        breaches = conn.execute("SELECT count(*) FROM breaches").fetchone()
        kinds = {k for (k,) in conn.execute("SELECT kind FROM letters").fetchall()}
    finally:
        conn.close()
    assert acknowledged == [("Sam Rivers", "Jo Fielding")]
    assert [s for (s,) in strategies] == ["draft", "active"]
    assert breaches == (1,)
    assert kinds == {"warning", "strategy", "breach_reminder"}
    assert not [line for line in served.stderr if "Traceback" in line], "".join(served.stderr)
    assert all(s["viewer"] in STAFF for s in summary["texts"].values())
