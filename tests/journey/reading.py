"""What a person reads, checked the same way for every card, message and letter.

The journey suites (tests/e2e/test_journey_slack.py, tests/e2e/test_journey_webchat.py) pass
every surface they see through `problems`, and every button shown to someone through
`refused_buttons`. A card that prints a Python list, an unfilled placeholder, markup the
platform shows literally, a word cut in two, or a button that answers "you can't do
that" is a bug a person would hit; these checks make each one fail a test.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any

from dialogs.registry import registry
from storage.models import StaffMember

# (pattern, what it means). Each is something no sentence we write contains.
_REPRS = (
    (re.compile(r"\['|\[\"|'\]"), "a Python list"),
    (re.compile(r"\{'|\{\"[a-z_]+\":"), "a Python or JSON dict"),
    # "None given yet." is English; "Review date: None" is a repr.
    (re.compile(r"\b(None|True|False)\b(?!\s+[a-z])"), "a Python value"),
    (re.compile(r"\bnull\b|\bundefined\b|\bNaN\b"), "a JavaScript value"),
    (re.compile(r"<[a-zA-Z_.]+ object at 0x"), "an object repr"),
)
_PLACEHOLDERS = (
    (re.compile(r"\{\{|\}\}|\{%|%\}|\$\{"), "a template placeholder"),
    (re.compile(r"\{[a-z_]+\}"), "an unformatted field"),
    (re.compile(r"%\(?[a-z_]*\)?[sd]\b"), "a printf placeholder"),
)
_MARKUP = (
    (re.compile(r"</?(?:b|i|p|br|div|span|strong|em|a|ul|li|h\d)\b[^>]*>", re.I), "HTML"),
    (re.compile(r"&(?:lt|gt|amp|quot|#\d+);"), "an HTML entity shown literally"),
    (re.compile(r"\\[\\`*_{}\[\]()#+\-.!|>~<&]"), "a markdown escape shown literally"),
    (re.compile(r"\*\*"), "markdown bold shown literally"),
)
# A word split over two lines without a hyphen: "inciden\nt".
_BROKEN = re.compile(r"[a-z]{2,}\n[a-z]{1,3}\b")


def problems(text: str) -> list[str]:
    """Everything wrong with `text` as a reader sees it, each naming what and where."""
    found = []
    for group in (_REPRS, _PLACEHOLDERS, _MARKUP):
        for pattern, what in group:
            for m in pattern.finditer(text):
                found.append(f"{what}: …{text[max(0, m.start() - 30) : m.end() + 30]!r}…")
    for m in _BROKEN.finditer(text):
        found.append(f"a word broken over two lines: {m.group(0)!r}")
    return found


def assert_reads_well(text: str, where: str = "") -> None:
    found = problems(text)
    assert not found, f"{where}: " + "; ".join(found)


# -- Slack ---------------------------------------------------------------------------

_SLACK_LINK = re.compile(r"<(?:https?://|mailto:)[^|>]*\|([^>]*)>|<(https?://[^>]*)>")


def read_mrkdwn(text: str) -> str:
    """Slack mrkdwn as Slack shows it: links by their label, &lt; &gt; &amp; as < > &."""
    text = _SLACK_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    return html.unescape(text) if re.search(r"&(?:lt|gt|amp);", text) else text


def _slack_texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield read_mrkdwn(node["text"]) if node["type"] == "mrkdwn" else node["text"]
            return
        for key, value in node.items():
            if key in ("action_id", "block_id", "value", "callback_id", "private_metadata"):
                continue
            yield from _slack_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _slack_texts(item)


def slack_text(payload: dict[str, Any]) -> str:
    """Every word of a Slack message or view a person can read, one piece a line."""
    parts = [read_mrkdwn(payload["text"])] if isinstance(payload.get("text"), str) else []
    parts += list(_slack_texts(payload.get("blocks") or []))
    if isinstance(payload.get("title"), dict):
        parts.append(payload["title"]["text"])
    return "\n".join(parts)


def slack_buttons(payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(action id, label) of every button on a Slack message or view."""
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "button" and "action_id" in node:
                found.append((node["action_id"], node["text"]["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(payload.get("blocks") or [])
    return found


# -- Teams and the web chat -------------------------------------------------------------

_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<&])")
_BOLD = re.compile(r"(?<!\\)\*\*")


def read_markdown(text: str) -> str:
    """A TextBlock as Teams shows it: bold markers gone, escapes shown as their character."""
    return _ESCAPE.sub(r"\1", _BOLD.sub("", text))


def _card_elements(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _card_elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _card_elements(item)


def card_text(card: dict[str, Any]) -> str:
    """Every word of an Adaptive Card a person can read, one piece a line."""
    lines = []
    for e in _card_elements(card.get("body") or []):
        kind = e.get("type")
        if kind == "TextBlock" or kind == "TextRun":
            lines.append(read_markdown(e.get("text", "")))
        for fact in e.get("facts") or []:
            lines.append(f"{fact['title']}: {read_markdown(fact['value'])}")
        for key in ("label", "placeholder"):
            if isinstance(e.get(key), str) and kind and kind.startswith("Input."):
                lines.append(e[key])
        for choice in e.get("choices") or []:
            lines.append(choice["title"])
    lines += [title for _, title in card_buttons(card)]
    return "\n".join(lines)


def card_buttons(card: dict[str, Any]) -> list[tuple[str, str]]:
    """(verb, title) of every Action.Execute on a card, wherever it sits."""
    return [
        (str(e.get("verb", "")), str(e.get("title", "")))
        for e in _card_elements(card)
        if e.get("type") == "Action.Execute"
    ]


# -- buttons ----------------------------------------------------------------------------


def refused_buttons(viewer: StaffMember, actions: Iterable[tuple[str, str]]) -> list[str]:
    """The buttons shown to `viewer` that the registry's who-may-use rule would refuse.

    A button that opens a form is checked against the form's rule too. Only the rule on
    roles is known here; rules that need the record (not your own request) are the
    flows' and are asserted by the journeys where they matter.
    """
    reg = registry()
    refused = []
    for action, label in actions:
        button = reg.buttons.get(action) or reg.buttons.get(action.split(":", 1)[0])
        if button is None:
            if action in reg.forms or not action:
                continue
            refused.append(f"{label!r} ({action}) is not a button the registry knows")
            continue
        if not button.who.allows(viewer):
            refused.append(f"{label!r} ({action}) would be refused: {button.who.refusal}")
    return refused
