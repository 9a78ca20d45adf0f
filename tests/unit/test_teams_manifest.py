"""The Teams app an admin uploads: manifest.json, its icons, and `safecontact teams-package`."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot import cli
from bot.settings import ConfigError, Settings
from bot.slack.dispatch import slash_commands
from bot.teams import package
from dialogs.registry import registry
from tests.teams_harness import SHARED

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_SCHEMA = SHARED / "schemas" / "teams-manifest-1.29.json"
APP_ID = "2f6c1d3e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"


def validate_manifest(manifest: dict) -> None:
    if not MANIFEST_SCHEMA.exists():
        pytest.skip(f"the Teams manifest schema is not at {MANIFEST_SCHEMA} (../shared absent)")
    from jsonschema import Draft7Validator

    # Draft 7, not the draft-04 it declares, so `const` on manifestVersion is enforced;
    # check_schema is skipped because one pattern uses \p{L} (see shared/schemas/README.md).
    validator = Draft7Validator(json.loads(MANIFEST_SCHEMA.read_text()))
    errors = sorted(validator.iter_errors(manifest), key=str)
    assert not errors, [e.message[:300] for e in errors[:3]]


def png_info(data: bytes) -> tuple[int, int, int, list[tuple[int, int, int, int]]]:
    """(width, height, colour type, RGBA pixels) of an 8-bit PNG written without filters."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8
    idat, i = b"", 8
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        if data[i + 4 : i + 8] == b"IDAT":
            idat += data[i + 8 : i + 8 + n]
        i += 12 + n
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = [
        tuple(raw[y * stride + 1 + x * 4 : y * stride + 5 + x * 4])
        for y in range(height)
        for x in range(width)
    ]
    return width, height, colour, pixels  # type: ignore[return-value]


def test_manifest_validates_and_lists_exactly_the_working_commands() -> None:
    manifest = json.loads((ROOT / "bot" / "teams" / "manifest.json").read_text())
    validate_manifest(manifest)
    assert manifest["manifestVersion"] == "1.29"
    (bot,) = manifest["bots"]
    assert bot["scopes"] == ["personal"]
    (commands_list,) = bot["commandLists"]
    assert commands_list["scopes"] == ["personal"]
    titles = [c["title"] for c in commands_list["commands"]]
    assert titles == list(registry().commands)  # the same table the bot dispatches on
    # The same words as Slack's slash commands, less the slash (DESIGN.md), plus help and
    # waiting: the App Home's list, which a Teams bot has no home tab to show.
    assert sorted(titles) == sorted(
        [c.removeprefix("/") for c in slash_commands()] + ["help", "waiting"]
    )
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_icons_are_the_sizes_teams_requires() -> None:
    width, height, colour, pixels = png_info((ROOT / "bot/assets/color.png").read_bytes())
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for p in pixels)  # full colour, opaque
    width, height, colour, pixels = png_info((ROOT / "bot/assets/outline.png").read_bytes())
    assert (width, height, colour) == (32, 32, 6)  # RGBA
    assert any(p[3] == 0 for p in pixels), "the outline icon has a transparent background"
    drawn = [p for p in pixels if p[3] > 0]
    assert drawn and all(p[:3] == (255, 255, 255) for p in drawn), "outline is white"


def test_package_has_the_manifest_with_this_bot_and_the_icons(tmp_path: Path) -> None:
    settings = Settings(microsoft_app_id=APP_ID, bot_domain="Bot.Office.Example.org")
    output = tmp_path / "out" / "safecontact-teams.zip"
    package.build(settings, output=output)
    with zipfile.ZipFile(output) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
        assert png_info(zf.read("color.png"))[:2] == (192, 192)
        assert png_info(zf.read("outline.png"))[:2] == (32, 32)
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["bot.office.example.org"]
    assert manifest["developer"]["websiteUrl"] == "https://bot.office.example.org"
    assert "00000000-0000" not in json.dumps(manifest)
    validate_manifest(manifest)


def test_package_refuses_without_a_usable_app_id_or_domain(tmp_path: Path) -> None:
    for settings, words in (
        (Settings(), "MICROSOFT_APP_ID"),
        (Settings(microsoft_app_id="not-a-guid"), "MICROSOFT_APP_ID"),
        (Settings(microsoft_app_id=APP_ID, bot_domain="https://x.example.org/"), "bot_domain"),
    ):
        with pytest.raises(ConfigError, match=words):
            package.build(settings, output=tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_the_command_line_builds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SAFECONTACT_CONFIG", raising=False)
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("BOT_DOMAIN", "safecontact.office.example.org")
    assert cli.main(["teams-package", "--output", "app.zip"]) == 0
    assert f"bot {APP_ID} on safecontact.office.example.org" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "app.zip") as zf:
        assert json.loads(zf.read("manifest.json"))["bots"][0]["botId"] == APP_ID
    monkeypatch.delenv("MICROSOFT_APP_ID")
    assert cli.main(["teams-package", "--output", "none.zip"]) == 2
    assert "MICROSOFT_APP_ID" in capsys.readouterr().err


def test_teams_package_works_from_a_normal_install(tmp_path: Path) -> None:
    """Installed as an office installs it (a wheel, not this editable checkout), the
    command still finds its manifest: it is package data, not a file beside the source.
    The wheel is built offline from this tree, with the backend pyproject.toml names."""
    import os
    import shutil
    import subprocess
    import sys

    source = tmp_path / "source"
    skip = shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "test-artifacts", "__pycache__", "*.egg-info", "build"
    )
    shutil.copytree(ROOT, source, ignore=skip)
    target = tmp_path / "site"
    offline = ["--quiet", "--no-deps", "--no-index", "--no-build-isolation"]
    built = subprocess.run(
        [sys.executable, "-m", "pip", "install", *offline, "--target", str(target), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    assert (target / "bot" / "teams" / "manifest.json").is_file(), "shipped as package data"
    shutil.rmtree(source)  # nothing may be read from a checkout

    elsewhere = tmp_path / "office"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "SAFECONTACT_CONFIG"}
    env.update(PYTHONPATH=str(target), MICROSOFT_APP_ID=APP_ID, BOT_DOMAIN="sc.example.org")
    run = (
        "import sys, bot; assert bot.__file__.startswith(sys.argv[1]), bot.__file__; "
        "from bot import cli; sys.exit(cli.main(['teams-package', '--output', 'app.zip']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", run, str(target)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"wrote app.zip: bot {APP_ID} on sc.example.org" in done.stdout
    with zipfile.ZipFile(elsewhere / "app.zip") as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert json.loads(zf.read("manifest.json"))["bots"][0]["botId"] == APP_ID
