"""The local web chat's "N new" badges survive a server restart (issue 12 item 11).

The page remembered, per browser tab, how many of each person's messages had been seen.
After a restart the server's chats start empty and count from 0, so a card waiting for
Jo Fielding (the demo history's newest incident) was hidden behind counts from before:
no badge, though a message was waiting. The server now names its run's chats and the
page forgets what it saw when that changes. Driven in Chromium, across a real restart.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.serving import CLI, clean_env, serving
from tests.e2e.test_journey_webchat import E2E, missing

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "badges"


def test_a_card_waiting_after_a_restart_shows_a_badge(tmp_path: Path) -> None:
    absent = missing()
    if absent:
        reason = f"the browser test needs {', '.join(absent)}: `make test` installs them"
        if os.geteuid() == 0:
            pytest.fail(reason + " (running as root, so tests/e2e/setup.sh should have)")
        pytest.skip(reason)
    with serving(tmp_path, "--port", "0") as first:
        assert first.url is not None, first.stdout
        url = first.url
        browser = subprocess.Popen(
            ["node", str(E2E / "badges.mjs"), url, str(ARTIFACTS)],
            cwd=E2E,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert browser.stdout is not None and browser.stdin is not None
        try:
            ready = browser.stdout.readline()
            assert ready.strip() == "ready", ready + browser.stderr.read()
        except BaseException:
            browser.kill()
            raise
    try:
        loaded = subprocess.run(
            [str(CLI), "demo-data"],
            cwd=tmp_path,
            env=clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert loaded.returncode == 0, loaded.stderr
        port = url.rstrip("/").rsplit(":", 1)[1]
        with serving(tmp_path, "--port", port) as second:
            assert second.url == url, "the same address, so the tab keeps what it stored"
            out, err = browser.communicate("go\n", timeout=120)
    finally:
        if browser.poll() is None:
            browser.kill()
    summary = json.loads(out.strip().splitlines()[-1])
    assert browser.returncode == 0 and summary["ok"], summary.get("error") or err
    assert summary["before"]["jo"] == "", "Jo's messages had been seen before the restart"
    assert summary["after"]["jo"].endswith(" new"), summary
