"""What an IT officer installs from the repository: the systemd unit, the reverse-proxy
example and the Slack manifests. Each is checked by the tool that will read it, where
that tool is installed (systemd-analyze on CI's Debian; nginx where it is present).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot import doctor

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "safecontact.service"
NGINX = ROOT / "deploy" / "nginx.conf"
HTTP_MANIFEST = ROOT / "bot" / "slack" / "manifest.json"
SOCKET_MANIFEST = ROOT / "bot" / "slack" / "manifest.socket.json"
INSTALLED = "/opt/safecontact/.venv/bin/safecontact"


def _verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """systemd-analyze verify, with the executable at this checkout's path (verify checks
    that the ExecStart program exists)."""
    unit = tmp_path / "safecontact.service"
    unit.write_text(
        unit_text.replace(INSTALLED, str(Path(sys.executable).with_name("safecontact")))
    )
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_the_systemd_unit_verifies(tmp_path: Path) -> None:
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED} serve" in text and "--log-format json" in text
    done = _verify(text, tmp_path)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
    # The check can fail: a misspelt setting is reported.
    broken = _verify(text.replace("RestartSec=5", "RestartSec=five"), tmp_path)
    assert "RestartSec" in broken.stderr or "sec value" in broken.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx not installed here")
def test_the_reverse_proxy_example_is_valid_nginx(tmp_path: Path) -> None:
    from tests.fake_azure import make_certificates

    _, cert, key = make_certificates(tmp_path, ["safecontact.your-office.example"])
    site = NGINX.read_text()
    site = site.replace(
        "/etc/letsencrypt/live/safecontact.your-office.example/fullchain.pem", str(cert)
    ).replace("/etc/letsencrypt/live/safecontact.your-office.example/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; include {tmp_path}/site.conf; }}\n"
    )
    done = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_only_the_bots_routes_are_proxied() -> None:
    text = NGINX.read_text()
    for route in ("/slack/events", "/api/messages", "/healthz"):
        assert f"location = {route}" in text
    assert "location / { return 404; }" in text  # /metrics and the web chat stay local


def test_the_socket_mode_manifest_is_the_http_one_without_addresses() -> None:
    http = json.loads(HTTP_MANIFEST.read_text())
    socket = json.loads(SOCKET_MANIFEST.read_text())
    assert socket["settings"]["socket_mode_enabled"] is True
    assert http["settings"]["socket_mode_enabled"] is False
    assert "https://" not in json.dumps(socket["settings"]) + json.dumps(socket["features"])
    for manifest in (http, socket):
        scopes = manifest["oauth_config"]["scopes"]["bot"]
        # users.lookupByEmail needs users:read.email, which Slack grants only with users:read.
        assert {"users:read", "users:read.email"} <= set(scopes)
    assert http["oauth_config"] == socket["oauth_config"]
    assert [c["command"] for c in http["features"]["slash_commands"]] == [
        c["command"] for c in socket["features"]["slash_commands"]
    ]
    assert (
        http["settings"]["event_subscriptions"]["bot_events"]
        == (socket["settings"]["event_subscriptions"]["bot_events"])
    )
    assert doctor.manifest_scopes() == set(http["oauth_config"]["scopes"]["bot"])


def test_the_readme_goes_live_in_the_issues_order() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Going live", 1)[1].split("\n## ", 1)[0]
    steps = ["Choose Socket Mode or HTTP", "Create the app from the manifest",
             "Set the tokens", "Run `safecontact doctor`", "Back up"]  # fmt: skip
    positions = [section.find(f"### {i}. {step}") for i, step in enumerate(steps, 1)]
    assert all(p >= 0 for p in positions), positions
    assert positions == sorted(positions)
    assert "no container image" in section.lower()
