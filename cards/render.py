"""Render a view model into a platform payload: pure functions, no database, no I/O.

Templates are JSON with Jinja; every value goes through `tojson`, and text written by
people goes through the escaping filter of the surface it lands on first (cards/text.py:
`mrkdwn` for Slack, `md` for Teams, `html` and autoescape in letters). Whatever a template
composed, `tojson` takes out every control and invisible formatting character, and
`payload_of` on Slack escapes the message's fallback `text`, which Slack reads as mrkdwn.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from cards import wording
from cards.ids import ActionId, FormName, IncidentField
from cards.text import (
    card_fallback,
    card_markdown,
    html,
    scrub,
    slack_escape,
    slack_mrkdwn,
    slack_plain,
    walk,
)

Platform = Literal["slack", "teams"]


def truncate(text: Any, limit: int, suffix: str = "…") -> str:
    text = str(text)
    return text if len(text) <= limit else text[: max(0, limit - len(suffix))] + suffix


def slack_link(url: str, label: str) -> str:
    """A mrkdwn link whose label cannot break out of the <url|label> syntax."""
    safe_url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{slack_mrkdwn(label)}>"


def chosen(field: dict[str, Any], value: Any) -> list[dict[str, Any]]:
    """The options of `field` that `value` (a value or a list of values) selects."""
    wanted = value if isinstance(value, list) else [value]
    options = field["options"] + [c for g in field.get("groups", []) for c in g["options"]]
    return [c for c in options if c["value"] in wanted]


def _dumps(value: Any, **kw: Any) -> str:
    """json.dumps for `tojson`, with no control or invisible formatting character in any
    string (cards/text.scrub): whatever a template composed from people's text."""
    return json.dumps(walk(value, scrub), **kw)


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
        mrkdwn=slack_mrkdwn,
        md=card_markdown,
        plain_name=slack_plain,
        truncate_chars=truncate,
        slack_link=slack_link,
        chosen=chosen,
        # Shared wording (cards/wording.py): "A, B and C", "1 breach" / "2 breaches".
        join_names=wording.join_names,
        counted=wording.count,
    )
    # Every value a JSON template prints goes through tojson: scrubbed there, each string
    # once when rendered (not each payload each time: a form is rendered once a minute).
    env.policies["json.dumps_function"] = _dumps
    env.globals.update(FormName=FormName, ActionId=ActionId, IncidentField=IncidentField)
    return env


@cache
def json_env() -> Environment:
    return _env(autoescape=False)


@cache
def letter_env() -> Environment:
    # Every value printed goes through text.html: escaped, no controls, and right-to-left
    # text in <bdi> (autoescape leaves the Markup it returns as it is).
    return _env(
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        finalize=html,
    )


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


def payload_of(platform: Platform, name: str, rendered: str) -> dict[str, Any]:
    """A rendered template's text as a new payload dict, safe for its surface.

    A Slack message's top-level `text` (the notification and fallback, which Slack reads
    as mrkdwn; templates compose it as plain text) is escaped here, so a name in it cannot
    become `<!channel>` or a disguised link; so is a Teams card's `fallbackText`, which
    a client that cannot show the card may read as markdown. Every string already lost
    its control and invisible formatting characters in `tojson` (_dumps).
    """
    try:
        payload = json.loads(rendered)
    except json.JSONDecodeError as exc:  # a template bug, never user input
        raise ValueError(f"template {platform}/{name} produced invalid JSON: {exc}") from exc
    if platform == "slack" and isinstance(payload.get("text"), str):
        payload["text"] = slack_escape(payload["text"])
    elif platform == "teams" and isinstance(payload.get("fallbackText"), str):
        payload["fallbackText"] = card_fallback(payload["fallbackText"])
    return payload


def render_text(platform: Platform, name: str, model: dict[str, Any]) -> str:
    """The template's JSON text for this model (kept, see _RENDERED)."""
    key = _model_key(model)
    rendered = _RENDERED.get((platform, name, key)) if key is not None else None
    if rendered is None:
        rendered = _template(platform, name).render(**model)
        if key is not None:
            _RENDERED[(platform, name, key)] = rendered
            if len(_RENDERED) > RENDERED_KEPT:
                _RENDERED.popitem(last=False)
    else:
        _RENDERED.move_to_end((platform, name, key))
    return rendered


def has_template(platform: Platform, name: str) -> bool:
    try:
        json_env().get_template(f"{platform}/{name}.json.j2")
    except Exception:
        return False
    return True
