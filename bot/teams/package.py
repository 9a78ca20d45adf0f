"""`safecontact teams-package`: the zip an admin uploads to Teams.

bot/teams/manifest.json, shipped as package data (so a normal install finds it as a
checkout does), is the template: the package sets the app and bot id to
MICROSOFT_APP_ID and the valid domain to BOT_DOMAIN (and the developer links to the
organisation's website when there is one), then adds the two icons from bot/assets/.
Fields are set on the parsed JSON, never by text substitution.
"""

from __future__ import annotations

import json
import re
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from bot.settings import ConfigError, Settings

ICONS = ("color.png", "outline.png")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$")


def manifest_for(template: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The template with this installation's bot id and domain."""
    app_id = (settings.microsoft_app_id or "").strip()
    if not GUID.match(app_id):
        raise ConfigError(
            "MICROSOFT_APP_ID must be the bot's Microsoft app id (a GUID) to build the Teams "
            "package"
        )
    domain = settings.bot_domain.strip().lower()
    if not DOMAIN.match(domain):
        raise ConfigError(
            f"bot_domain: '{settings.bot_domain}' is not a domain name; give the host name "
            "Teams reaches the bot on, like safecontact.example.org"
        )
    manifest = json.loads(json.dumps(template))
    manifest["id"] = app_id
    for bot in manifest.get("bots", []):
        bot["botId"] = app_id
    manifest["validDomains"] = [domain]
    site = settings.organisation.website or f"https://{domain}"
    developer = manifest.setdefault("developer", {})
    developer["name"] = (settings.organisation.name or developer.get("name", ""))[:32]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        developer[key] = site
    return manifest


def _icon(name: str) -> bytes:
    return resources.files("bot").joinpath("assets", name).read_bytes()


def build(settings: Settings, *, output: Path, manifest_path: Path | None = None) -> dict[str, Any]:
    """Write the package to `output`; return the manifest it holds."""
    shipped = resources.files("bot").joinpath("teams", "manifest.json")
    path = manifest_path or shipped
    try:
        template = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if manifest_path is None:
            raise ConfigError(
                f"the manifest template shipped with safecontact ({shipped}) is missing; "
                "reinstall safecontact, or pass --manifest"
            ) from None
        raise ConfigError(f"{path} does not exist; check the --manifest path") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    manifest = manifest_for(template, settings)
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
        for name in ICONS:
            zf.writestr(name, _icon(name))
    return manifest
