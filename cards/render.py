"""Render a view model into a platform payload: pure functions, no database, no I/O.

Templates are JSON with Jinja; every value goes through `tojson`, and text written by
people goes through the escaping filter of the surface it lands on first.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from cards import wording
from cards.ids import ActionId, FormName, IncidentField

Platform = Literal["slack", "teams"]


def slack_escape(text: Any) -> str:
    """Slack mrkdwn: & < > are control characters (mentions, links); show them literally."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&])")


def markdown_escape(text: Any) -> str:
    """Teams TextBlock markdown: backslash-escape what would format or link."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def truncate(text: Any, limit: int, suffix: str = "…") -> str:
    text = str(text)
    return text if len(text) <= limit else text[: max(0, limit - len(suffix))] + suffix


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link whose label cannot break out of the <url|label> syntax."""
    safe_url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{slack_escape(label)}>"


def chosen(field: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    """The options of `field` that `value` (a value or a list of values) selects."""
    wanted = value if isinstance(value, list) else [value]
    options = field["options"] + [c for g in field.get("groups", []) for c in g["options"]]
    return [c for c in options if c["value"] in wanted]


def _env(**kw: Any) -> Environment:
    env = SandboxedEnvironment(
        loader=PackageLoader("cards", "templates"),
        # Templates are package data: nothing edits them while the server runs.
        auto_reload=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        **kw,
    )
    env.filters.update(
        mrkdwn=slack_escape,
        md=markdown_escape,
        truncate_chars=truncate,
        slack_link=slack_link,
        chosen=chosen,
        # Shared wording (cards/wording.py): "A, B and C", "1 breach" / "2 breaches".
        join_names=wording.join_names,
        counted=wording.count,
    )
    env.globals.update(FormName=FormName, ActionId=ActionId, IncidentField=IncidentField)
    return env


@cache
def json_env() -> Environment:
    return _env(autoescape=False)


@cache
def letter_env() -> Environment:
    return _env(autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True))


# Rendered payloads by (platform, template, model as JSON). Rendering is a pure function
# of those (models are plain data, so JSON-equal models render alike), and a form is the
# same for everyone in a minute: the incident form is ~3 ms to render and ~0.2 ms to
# find here (docs/performance.md).
_RENDERED: OrderedDict[tuple[str, str, str], str] = OrderedDict()
RENDERED_KEPT = 64


def _model_key(model: dict[str, Any]) -> str | None:
    try:
        return json.dumps(model, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):  # not plain JSON (a date, an object): render afresh
        return None


def render(
    platform: Platform, name: str, model: dict[str, Any], *, keep: bool = True
) -> dict[str, Any]:
    """The payload for `name` on `platform`; raises if the template or a value is missing.

    A new dict every call, so callers may change what they get. `keep=False` for what is
    rendered once (an outbox message): keeping it would only push out what is reused.
    """
    if not keep:
        return payload_of(platform, name, _template(platform, name).render(**model))
    return payload_of(platform, name, render_text(platform, name, model))


def _template(platform: Platform, name: str) -> Any:
    return json_env().get_template(f"{platform}/{name}.json.j2")


def payload_of(platform: Platform, name: str, text: str) -> dict[str, Any]:
    """A rendered template's text as a new payload dict."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:  # a template bug, never user input
        raise ValueError(f"template {platform}/{name} produced invalid JSON: {exc}") from exc


def render_text(platform: Platform, name: str, model: dict[str, Any]) -> str:
    """The template's JSON text for this model (kept, see _RENDERED)."""
    key = _model_key(model)
    text = _RENDERED.get((platform, name, key)) if key is not None else None
    if text is None:
        text = _template(platform, name).render(**model)
        if key is not None:
            _RENDERED[(platform, name, key)] = text
            if len(_RENDERED) > RENDERED_KEPT:
                _RENDERED.popitem(last=False)
    else:
        _RENDERED.move_to_end((platform, name, key))
    return text


def has_template(platform: Platform, name: str) -> bool:
    try:
        json_env().get_template(f"{platform}/{name}.json.j2")
    except Exception:
        return False
    return True
