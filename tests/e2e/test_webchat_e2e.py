"""The local web chat in a real browser, as a trainer would walk it.

`safecontact serve` runs as `make run` starts it (an empty directory: the demo
directory, no credentials); tests/e2e/walk.mjs drives Debian's Chromium through Microsoft's
Web Chat with playwright-core: choose the reporter, send `incident`, fill in the card and
submit it, switch to the manager and find the card that arrived on its own, click
Acknowledge and watch the card change in place. Screenshots of each step and the cards'
accessibility trees are kept in test-artifacts/e2e/ (git ignores it).

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

E2E = Path(__file__).resolve().parent
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
STEPS = ["01-reporter-chosen", "02-incident-submitted", "03-manager-sees-card", "04-acknowledged"]


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


def test_a_trainer_walks_report_to_acknowledgement_in_a_browser(tmp_path: Path) -> None:
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
            ["node", str(E2E / "walk.mjs"), served.url, str(ARTIFACTS)],
            cwd=E2E,
            capture_output=True,
            text=True,
            timeout=240,
        )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    summary = json.loads(lines[-1])
    assert done.returncode == 0 and summary["ok"], summary.get("error") or done.stderr
    assert [s["name"] for s in summary["steps"]] == STEPS
    for step in STEPS:
        assert (ARTIFACTS / f"{step}.png").stat().st_size > 10_000, step

    # Every card is labelled for a screen reader, and every control in it has a name.
    cards = summary["cards"]
    assert set(cards) >= {"help-card", "incident-form", "confirmation", "incident-card"}
    for name, card in cards.items():
        assert card["role"] in ("form", "figure") and card["label"], name
        assert card["unnamed"] == [] and card["named"] == card["controls"], name
    assert cards["incident-form"]["role"] == "form" and cards["incident-form"]["controls"] >= 40
    assert "What happened? *" in cards["incident-form"]["names"]
    assert cards["incident-card"]["label"].startswith(f"Incident report {summary['reference']}")
    assert "Acknowledge" in cards["incident-card"]["names"]
    assert "Acknowledge" not in cards["incident-card-acknowledged"]["names"]
    # The page's Content-Security-Policy did not get in Web Chat's way.
    assert not [m for m in summary["console"] if "Content Security Policy" in m], summary["console"]
    assert not [m for m in summary["console"] if m.startswith("pageerror")], summary["console"]

    # What the clicks changed is in the database, attributed to the right people.
    conn = sqlite3.connect(tmp_path / "safecontact.db")
    try:
        (row,) = conn.execute(
            "SELECT r.name, a.name, p.reference FROM incidents i "
            "JOIN staff_members r ON r.id = i.reporter_id "
            "JOIN staff_members a ON a.id = i.acknowledged_by_id "
            "JOIN people p ON p.id = i.person_id"
        ).fetchall()
    finally:
        conn.close()
    assert row == ("Sam Rivers", "Jo Fielding", summary["reference"])
    assert not [line for line in served.stderr if "Traceback" in line], "".join(served.stderr)
